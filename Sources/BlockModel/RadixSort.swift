// A linear-time sort for dedup's bulk passes: they sort the ids they will update so the
// per-block arrays are walked in order instead of at random, where a comparison sort of
// millions of values would cost several times more.

/// Sorts `values` in place, stably, by their bits `shift ..< shift + bits`, with counting
/// passes of at most 13 bits (as few passes as that allows) through a scratch buffer, which
/// is allocated when not given (at least as long as `values`).
func radixSort<T: FixedWidthInteger & UnsignedInteger>(_ values: UnsafeMutableBufferPointer<T>, shift: Int = 0, bits: Int = T.bitWidth,
                                                       scratch given: UnsafeMutableBufferPointer<T>? = nil) {
    guard values.count > 1, bits > 0 else { return }
    let allocated = given == nil ? ZeroedMemory<T>(count: values.count) : nil
    var from = values, to = given.map { UnsafeMutableBufferPointer(rebasing: $0[0..<values.count]) } ?? allocated!.buffer
    let passes = (bits + 12) / 13
    let digit = (bits + passes - 1) / passes
    var counts = [Int](repeating: 0, count: 1 << digit)
    counts.withUnsafeMutableBufferPointer { c in
        for pass in 0..<passes {
            let s = T(shift + pass * digit)
            // The last pass may take fewer bits: none beyond the key, or the sort is unstable.
            let mask = T(1) << T(min(digit, bits - pass * digit)) - 1
            for i in c.indices { c[i] = 0 }
            for x in from { c[Int(truncatingIfNeeded: (x >> s) & mask)] += 1 }
            var sum = 0
            for i in c.indices { let n = c[i]; c[i] = sum; sum += n }
            for x in from {
                let b = Int(truncatingIfNeeded: (x >> s) & mask)
                to[c[b]] = x
                c[b] += 1
            }
            swap(&from, &to)
        }
    }
    // After an odd number of passes the result is in the scratch buffer.
    if passes % 2 == 1 { _ = values.update(fromContentsOf: from) }
    withExtendedLifetime(allocated) {}
}
