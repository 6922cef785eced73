/// Every candidate of a problem, with a service's single-device candidates on equivalent
/// devices stored once.
///
/// Devices are equivalent for a service when a candidate's value cannot tell them apart: same
/// type, same network facts from every origin group (or the same node, with local markets),
/// and the same standing in the previous plan. An *offer* is one configuration on such a class
/// of devices, standing on its first device; the candidate it stands for on the class's k-th
/// device is materialised when asked for. Concrete candidates keep the numbering they would
/// have if every device were enumerated apart (by service, then device, then configuration;
/// model-parallel groups after a service's single devices), so ties break, ids are given and
/// plans come out exactly as with one candidate per device — only with a fraction of the
/// memory and of the heap.
struct CandidateTable {
    /// Offers: single-device candidates on their class's first device, and model-parallel
    /// candidates as they are. `index` is the concrete index of the offer's first device.
    private(set) var offers: [Candidate] = []
    /// Devices (slot indices, ascending) of each class.
    private(set) var classes: [[Int]] = []
    /// Offer of each class's first configuration; a class's offers are consecutive.
    private(set) var classFirstOffer: [Int] = []
    private(set) var blocks: [ServiceBlock] = []
    /// Block of each offer (read on every evaluation of the greedy: an array, not a lookup by service).
    private var offerBlock: [Int32] = []
    /// Concrete candidates in all.
    private(set) var count = 0

    /// One service's concrete numbering: `base + prefix[slot] + rank` for a single-device
    /// configuration of `rank` on `slot`, then `base + singles + k` for its k-th group.
    struct ServiceBlock {
        var service: Int
        var base: Int
        /// Concrete single-device candidates on the slots before each slot (`slots + 1` entries).
        var prefix: [Int32]
        /// Class of each slot (-1: none).
        var classOf: [Int32]
        /// Offer index of the service's first model-parallel candidate, and how many there are.
        var groupOffers: Range<Int>
        var singles: Int { Int(prefix.last ?? 0) }
    }

    /// Adds one service: its classes (each with the offers of its configurations, in rank
    /// order) and then its model-parallel candidates. `classes` must partition a subset of
    /// `0..<slotCount`, each class ascending, and every offer of a class must carry that class's
    /// `deviceClass` position (0-based within this call) and its rank.
    mutating func append(
        service: Int, slotCount: Int, classes newClasses: [[Int]], offers classOffers: [[Candidate]], groups: [Candidate]
    ) {
        precondition(newClasses.count == classOffers.count)
        var classOf = [Int32](repeating: -1, count: slotCount)
        let firstClass = classes.count
        for (k, members) in newClasses.enumerated() {
            for slot in members { classOf[slot] = Int32(firstClass + k) }
        }
        var prefix = [Int32](repeating: 0, count: slotCount + 1)
        for slot in 0..<slotCount {
            let c = classOf[slot]
            prefix[slot + 1] = prefix[slot] + (c < 0 ? 0 : Int32(classOffers[Int(c) - firstClass].count))
        }
        let base = count
        var block = ServiceBlock(service: service, base: base, prefix: prefix, classOf: classOf, groupOffers: 0..<0)
        for (k, members) in newClasses.enumerated() {
            classes.append(members)
            classFirstOffer.append(offers.count)
            for (rank, var offer) in classOffers[k].enumerated() {
                offer.deviceClass = Int32(firstClass + k)
                offer.rank = Int32(rank)
                offer.slots = [members[0]]
                offer.index = base + Int(prefix[members[0]]) + rank
                offers.append(offer)
            }
        }
        let groupStart = offers.count
        for (k, var group) in groups.enumerated() {
            group.deviceClass = -1
            group.index = base + block.singles + k
            offers.append(group)
        }
        block.groupOffers = groupStart..<offers.count
        offerBlock += repeatElement(Int32(blocks.count), count: offers.count - offerBlock.count)
        blocks.append(block)
        count = base + block.singles + groups.count
    }

    /// The devices an offer can be placed at: each device of its class; a group at its first
    /// device (it is one placement, on all of its devices at once).
    func members(ofOffer o: Int) -> [Int] {
        let c = offers[o].deviceClass
        return c < 0 ? [offers[o].slots[0]] : classes[Int(c)]
    }

    /// Concrete index of offer `o` on `slot` (one of `members(ofOffer:)`).
    @inline(__always) func index(ofOffer o: Int, on slot: Int) -> Int {
        if offers[o].deviceClass < 0 { return offers[o].index }
        let b = Int(offerBlock[o])
        return blocks[b].base + Int(blocks[b].prefix[slot]) + Int(offers[o].rank)
    }

    /// The concrete candidate of offer `o` on `slot`.
    func candidate(ofOffer o: Int, on slot: Int) -> Candidate {
        var c = offers[o]
        guard c.deviceClass >= 0, c.slots[0] != slot else { return c }
        c.slots = [slot]
        c.index = index(ofOffer: o, on: slot)
        return c
    }

    /// Offer and device of a concrete index.
    func locate(_ index: Int) -> (offer: Int, slot: Int) {
        precondition(index >= 0 && index < count, "candidate \(index) of \(count)")
        // The last block whose base is at or below the index.
        var low = 0, high = blocks.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if blocks[mid].base <= index { low = mid } else { high = mid - 1 }
        }
        let block = blocks[low]
        let r = index - block.base
        if r >= block.singles {
            let o = block.groupOffers.lowerBound + (r - block.singles)
            return (o, offers[o].slots[0])
        }
        // The last slot whose prefix is at or below r and that holds candidates.
        var a = 0, b = block.prefix.count - 2
        while a < b {
            let mid = (a + b + 1) / 2
            if Int(block.prefix[mid]) <= r { a = mid } else { b = mid - 1 }
        }
        // The largest such slot holds candidates: an empty one would share its prefix with the next.
        assert(block.classOf[a] >= 0 && Int(block.prefix[a + 1]) > r)
        let rank = r - Int(block.prefix[a])
        return (classFirstOffer[Int(block.classOf[a])] + rank, a)
    }

    subscript(index: Int) -> Candidate {
        let (o, slot) = locate(index)
        return candidate(ofOffer: o, on: slot)
    }

    /// Every concrete candidate of offer `o`, one per device of its class.
    func concrete(ofOffer o: Int) -> [Candidate] {
        members(ofOffer: o).map { candidate(ofOffer: o, on: $0) }
    }

    /// Every concrete candidate, in index order.
    func forEachConcrete(_ body: (Candidate) -> Void) {
        for block in blocks {
            for slot in 0..<(block.prefix.count - 1) where block.classOf[slot] >= 0 {
                let first = classFirstOffer[Int(block.classOf[slot])]
                let n = Int(block.prefix[slot + 1] - block.prefix[slot])
                for rank in 0..<n { body(candidate(ofOffer: first + rank, on: slot)) }
            }
            for o in block.groupOffers { body(offers[o]) }
        }
    }
}
