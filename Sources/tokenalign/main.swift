import TokenAlignCLI

await TokenAlignCommand.main()
