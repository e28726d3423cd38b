#if canImport(Glibc)
import Glibc
#endif

/// `count` zero-filled values of a trivial type, for the large tables and scratch lists of a
/// dedup run. Small ones come from `calloc`; large ones (2 MiB and up) from an anonymous
/// mapping, so their pages are zeroed by the kernel, all at once when populated (a 100 GiB
/// volume's run maps about 1.3 GB of them). Huge pages were tried and are not asked for: on
/// this project's VM they cost as much or more when fresh (Benchmarks/README.md).
final class ZeroedMemory<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    let count: Int
    private let mapped: Bool

    /// - Parameter populate: map every page at once (cheaper per page than one fault each);
    ///   false for lists that may use only their start.
    init(count: Int, populate: Bool = true) {
        precondition(_isPOD(T.self), "zero-filled memory holds plain values only")
        self.count = count
        let bytes = max(1, count) * MemoryLayout<T>.stride
        mapped = bytes >= 1 << 21
        let raw: UnsafeMutableRawPointer
        if mapped {
            guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0), p != MAP_FAILED else {
                fatalError("out of memory: \(bytes) bytes")
            }
            raw = p
        } else {
            guard let p = calloc(max(1, count), MemoryLayout<T>.stride) else { fatalError("out of memory: \(bytes) bytes") }
            raw = p
        }
        base = raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    var buffer: UnsafeMutableBufferPointer<T> { UnsafeMutableBufferPointer(start: base, count: count) }

    deinit {
        if mapped { munmap(base, max(1, count) * MemoryLayout<T>.stride) } else { free(base) }
    }
}
