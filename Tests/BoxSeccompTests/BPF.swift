/// A classic-BPF interpreter for seccomp programs, so tests can ask a compiled filter what it does with a
/// syscall (`struct seccomp_data`: nr, arch, instruction pointer, six arguments).
struct BPF {
    let program: [(code: UInt16, jt: UInt8, jf: UInt8, k: UInt32)]

    init(_ bytes: [UInt8]) {
        var p: [(UInt16, UInt8, UInt8, UInt32)] = []
        var i = 0
        while i + 8 <= bytes.count {
            let code = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
            let k = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
            p.append((code, bytes[i + 2], bytes[i + 3], k))
            i += 8
        }
        program = p
    }

    /// The action the program returns for a syscall.
    func run(nr: Int32, arch: UInt32 = 0xC000_003E, args: [UInt64] = []) -> UInt32 {
        var data = [UInt8](repeating: 0, count: 64)
        func put32(_ v: UInt32, at o: Int) { for b in 0..<4 { data[o + b] = UInt8((v >> (8 * UInt32(b))) & 0xff) } }
        put32(UInt32(bitPattern: nr), at: 0)
        put32(arch, at: 4)
        for (i, a) in args.enumerated() {
            put32(UInt32(truncatingIfNeeded: a), at: 16 + 8 * i)
            put32(UInt32(truncatingIfNeeded: a >> 32), at: 20 + 8 * i)
        }
        func load(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[o + $1]) << (8 * UInt32($1)) } }
        var a: UInt32 = 0, x: UInt32 = 0
        var mem = [UInt32](repeating: 0, count: 16)
        var pc = 0
        while pc < program.count {
            let (code, jt, jf, k) = program[pc]
            pc += 1
            switch code {
            case 0x20: a = load(Int(k))                   // ld [k]
            case 0x00: a = k                              // ld #k
            case 0x01: x = k                              // ldx #k
            case 0x60: a = mem[Int(k)]                    // ld M[k]
            case 0x61: x = mem[Int(k)]                    // ldx M[k]
            case 0x02: mem[Int(k)] = a                    // st M[k]
            case 0x03: mem[Int(k)] = x                    // stx M[k]
            case 0x54: a &= k                             // and #k
            case 0x5c: a &= x                             // and x
            case 0x44: a |= k                             // or #k
            case 0x04: a &+= k                            // add #k
            case 0x14: a &-= k                            // sub #k
            case 0x87: a = x                              // txa
            case 0x07: x = a                              // tax
            case 0x05: pc += Int(k)                       // ja
            case 0x15: pc += a == k ? Int(jt) : Int(jf)   // jeq #k
            case 0x25: pc += a > k ? Int(jt) : Int(jf)    // jgt #k
            case 0x35: pc += a >= k ? Int(jt) : Int(jf)   // jge #k
            case 0x45: pc += a & k != 0 ? Int(jt) : Int(jf) // jset #k
            case 0x1d: pc += a == x ? Int(jt) : Int(jf)   // jeq x
            case 0x2d: pc += a > x ? Int(jt) : Int(jf)    // jgt x
            case 0x3d: pc += a >= x ? Int(jt) : Int(jf)   // jge x
            case 0x06: return k                           // ret #k
            case 0x16: return a                           // ret a
            default: return 0xdead_beef
            }
        }
        return 0xdead_beef
    }
}
