// A linear-time sort for dedup's bulk passes: they sort the ids they will update so the
// per-block arrays are walked in order instead of at random, where a comparison sort of
// millions of values would cost several times more.

/// Sorts `values` in place, stably, by their bits `shift ..< shift + bits`, with 11-bit
/// counting passes through a scratch buffer.
func radixSort<T: FixedWidthInteger & UnsignedInteger>(_ values: UnsafeMutableBufferPointer<T>, shift: Int = 0, bits: Int = T.bitWidth) {
    guard values.count > 1 else { return }
    let scratch = ZeroedMemory<T>(count: values.count)
    var from = values, to = scratch.buffer
    var counts = [Int](repeating: 0, count: 2048)
    var passes = 0
    counts.withUnsafeMutableBufferPointer { c in
        for low in stride(from: shift, to: shift + bits, by: 11) {
            let s = T(low)
            for i in c.indices { c[i] = 0 }
            for x in from { c[Int(truncatingIfNeeded: (x >> s) & 2047)] += 1 }
            var sum = 0
            for i in c.indices { let n = c[i]; c[i] = sum; sum += n }
            for x in from {
                let b = Int(truncatingIfNeeded: (x >> s) & 2047)
                to[c[b]] = x
                c[b] += 1
            }
            swap(&from, &to)
            passes += 1
        }
    }
    // After an odd number of passes the result is in the scratch buffer.
    if passes % 2 == 1 { _ = values.update(fromContentsOf: from) }
}
