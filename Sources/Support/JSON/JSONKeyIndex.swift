// Finding a duplicate key while an object is read, without slowing the reading of a 50 000-entry
// vocabulary: an open-addressing table of member positions keyed by an FNV-1a hash of the key's
// exact UTF-8 bytes (byte equality, not `String`'s canonical equivalence). Small objects are
// scanned instead.

struct JSONKeyIndex {
    private var slots: [Int32] = []  // member position + 1; 0 is empty
    private var hashes: [UInt64] = []
    private var mask = 0

    static let scanLimit = 16

    static func hash(_ key: String) -> UInt64 {
        var key = key
        return key.withUTF8 { bytes in
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            return h
        }
    }

    /// The position of `key` among `members` if present; otherwise records that it will be
    /// appended at `members.count` and returns nil.
    mutating func existing(_ key: String, in members: [JSONMember]) -> Int? {
        if members.count < Self.scanLimit {
            var key = key
            return key.withUTF8 { wanted in members.firstIndex { $0.key.utf8.elementsEqual(wanted) } }
        }
        if slots.isEmpty {
            hashes = members.map { Self.hash($0.key) }
            rebuild(capacity: 64)
        }
        let h = Self.hash(key)
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[slot] != 0 {
            let i = Int(slots[slot] - 1)
            if hashes[i] == h, members[i].key.utf8.elementsEqual(key.utf8) { return i }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(truncatingIfNeeded: members.count + 1)
        hashes.append(h)
        if hashes.count * 2 > slots.count { rebuild(capacity: slots.count * 2) }
        return nil
    }

    private mutating func rebuild(capacity: Int) {
        var size = capacity
        while size < hashes.count * 2 { size *= 2 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
        for (i, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(truncatingIfNeeded: i + 1)
        }
    }
}
