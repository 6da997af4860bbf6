import TokenAlignCLI

TokenAlignCommand.main()
