import Foundation
import Testing
import KernelCore

@Suite struct UTCTimestampTests {
    @Test func knownInstants() {
        #expect(UTCTimestamp.text(secondsSince1970: 0, milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(UTCTimestamp.text(secondsSince1970: -1, milliseconds: 999) == "1969-12-31T23:59:59.999Z")
        #expect(UTCTimestamp.text(secondsSince1970: 951_782_400, milliseconds: 7) == "2000-02-29T00:00:00.007Z")
        #expect(UTCTimestamp.text(secondsSince1970: 1_700_000_000, milliseconds: 123) == "2023-11-14T22:13:20.123Z")
        #expect(UTCTimestamp.text(secondsSince1970: 253_402_300_799, milliseconds: 0) == "9999-12-31T23:59:59.000Z")
        #expect(UTCTimestamp.text(secondsSince1970: 253_402_300_800, milliseconds: 0) == nil)
        #expect(UTCTimestamp.text(secondsSince1970: -62_167_219_201, milliseconds: 0) == nil)
    }

    /// Against the C library's calendar over instants spread from year 0 to 9999.
    @Test func agreesWithGmtime() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var t = Int.random(in: -62_167_219_200...253_402_300_799, using: &rng)
            var parts = tm()
            gmtime_r(&t, &parts)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.042Z", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            #expect(UTCTimestamp.text(secondsSince1970: Int64(t), milliseconds: 42) == expected)
        }
    }
}
