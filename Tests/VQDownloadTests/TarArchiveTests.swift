import Foundation
import Testing
import VQData
import _VQTestSupport
@testable import VQDownload

/// Builds tar archives in memory, one 512-byte header per entry, as `tar --format=ustar` lays them out.
enum TarBuilder {
    /// A header block for `name` (type `type`, `size` bytes); `prefix` fills ustar's prefix field.
    static func header(_ name: String, size: Int, type: Character = "0", prefix: String = "") -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte } }
        put(name, at: 0)
        put("0000644\0", at: 100)
        put("0000000\0", at: 108)
        put("0000000\0", at: 116)
        put(zeroPadded(size, digits: 11) + "\0", at: 124)
        put("00000000000\0", at: 136)
        block[156] = type.asciiValue!
        put("ustar\0" + "00", at: 257)
        put(prefix, at: 345)
        for index in 148..<156 { block[index] = 32 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(zeroPadded(sum, digits: 6) + "\0 ", at: 148)
        return block
    }

    /// `value` in octal, led by zeros to `digits` digits.
    static func zeroPadded(_ value: Int, digits: Int) -> String {
        let octal = String(value, radix: 8)
        return String(repeating: "0", count: max(digits - octal.count, 0)) + octal
    }

    /// One entry: its header and its data padded to a multiple of 512 bytes.
    static func entry(_ name: String, _ contents: [UInt8], type: Character = "0", prefix: String = "") -> [UInt8] {
        header(name, size: contents.count, type: type, prefix: prefix) + contents
            + [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    /// The entries followed by the two zero blocks that end an archive.
    static func archive(_ entries: [[UInt8]]) -> [UInt8] { entries.flatMap { $0 } + [UInt8](repeating: 0, count: 1024) }
}

/// A fresh empty folder for one test, removed when the tests end.
func temporaryFolder() throws -> String {
    guard let folder = TemporaryFolder.make(prefix: "vqdownload") else {
        throw DataError(NSTemporaryDirectory(), "cannot create a temporary folder")
    }
    return folder
}

@Suite struct TarArchiveTests {
    @Test func extractsFilesAndFolders() throws {
        let first = Array("first file\n".utf8)
        let second = (0..<1500).map { UInt8(truncatingIfNeeded: $0 * 13) }  // spans several blocks
        let bytes = TarBuilder.archive([
            TarBuilder.entry("batches/", [], type: "5"),
            TarBuilder.entry("batches/one.txt", first),
            TarBuilder.entry("two.bin", second, prefix: "batches/deeper"),
            TarBuilder.entry("batches/link", [], type: "2"),  // a symbolic link: skipped
            TarBuilder.entry("./batches/empty.bin", []),
        ])
        let archive = try TarArchive(bytes, path: "test.tar")
        #expect(archive.entries.map(\.path) == ["batches/one.txt", "batches/deeper/two.bin", "batches/empty.bin"])
        #expect(archive.folders == ["batches"])

        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let written = try archive.extract(into: folder)
        #expect(written == ["batches/one.txt", "batches/deeper/two.bin", "batches/empty.bin"])
        #expect(try FileIO.read(folder + "/batches/one.txt") == first)
        #expect(try FileIO.read(folder + "/batches/deeper/two.bin") == second)
        #expect(try FileIO.read(folder + "/batches/empty.bin") == [])
        #expect(!FileIO.exists(folder + "/batches/link"))
    }

    @Test func gnuLongNamesAndPaxPathsNameTheNextEntry() throws {
        let longName = String(repeating: "long-folder-name/", count: 8) + "file.bin"
        let paxRecord = "path=pax/renamed.bin\n"
        let paxLength = paxRecord.utf8.count + 3  // "NN " prefix, two digits
        let bytes = TarBuilder.archive([
            TarBuilder.entry("././@LongLink", Array(longName.utf8) + [0], type: "L"),
            TarBuilder.entry("truncated-name", [1, 2, 3]),
            TarBuilder.entry("PaxHeaders/x", Array("\(paxLength) \(paxRecord)".utf8), type: "x"),
            TarBuilder.entry("short.bin", [4, 5]),
        ])
        let archive = try TarArchive(bytes, path: "test.tar")
        #expect(archive.entries.map(\.path) == [longName, "pax/renamed.bin"])
        #expect(archive.entries.map { Array(archive.contents(of: $0)) } == [[1, 2, 3], [4, 5]])
    }

    @Test(arguments: ["../escape.txt", "batches/../../escape.txt", "/etc/escape.txt", "a/.."])
    func refusesPathsOutsideTheFolder(name: String) throws {
        let bytes = TarBuilder.archive([TarBuilder.entry(name, Array("x".utf8))])
        let error = #expect(throws: DataError.self) { _ = try TarArchive(bytes, path: "evil.tar") }
        #expect(error?.path == "evil.tar")
        #expect(error?.problem.contains("refusing to extract") == true)
    }

    @Test func refusesTraversalHiddenInALongName() throws {
        let bytes = TarBuilder.archive([
            TarBuilder.entry("././@LongLink", Array("ok/../../escape.txt".utf8), type: "L"),
            TarBuilder.entry("ok.txt", [1]),
        ])
        #expect(throws: DataError.self) { _ = try TarArchive(bytes, path: "evil.tar") }
    }

    @Test func truncatedAndCorruptArchivesAreErrors() throws {
        let bytes = TarBuilder.archive([TarBuilder.entry("data.bin", [UInt8](repeating: 7, count: 2000))])
        #expect(throws: DataError("cut.tar", "tar entry at byte 0 claims 2000 bytes but the archive ends first (truncated file)")) {
            _ = try TarArchive(Array(bytes.prefix(1000)), path: "cut.tar")
        }
        var corrupt = bytes
        corrupt[10] ^= 0x20
        let error = #expect(throws: DataError.self) { _ = try TarArchive(corrupt, path: "bad.tar") }
        #expect(error?.problem.contains("checksum") == true)
        #expect(throws: DataError.self) { _ = try TarArchive(Array("not a tar archive at all".utf8) + [UInt8](repeating: 1, count: 600), path: "text.tar") }
    }

    /// Archives GNU tar wrote (Fixtures/make_tar_fixtures.sh), in its default GNU format (long names in
    /// `././@LongLink` entries) and in pax format (long names in `path` records).
    @Test(arguments: ["tiny-gnu.tar.gz", "tiny-pax.tar.gz"])
    func readsArchivesWrittenByGNUTar(name: String) throws {
        let path = try #require(Bundle.module.path(forResource: "Fixtures/" + name, ofType: nil))
        let archive = try TarArchive(Zlib.decompress(FileIO.read(path), path: path), path: path)
        let longName = "cifar-10-batches-bin/" + String(repeating: "n", count: 116) + ".txt"
        #expect(archive.folders == ["cifar-10-batches-bin"])
        #expect(archive.entries.map(\.path) == ["cifar-10-batches-bin/data_batch_1.bin", longName, "cifar-10-batches-bin/readme.txt"])

        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try archive.extract(into: folder)
        #expect(try FileIO.read(folder + "/cifar-10-batches-bin/data_batch_1.bin") == (0..<3073).map { UInt8($0 % 251) })
        #expect(try FileIO.read(folder + "/cifar-10-batches-bin/readme.txt") == Array("tiny CIFAR-like archive\n".utf8))
        #expect(try FileIO.read(folder + "/" + longName) == Array("long\n".utf8))
        #expect(!FileIO.exists(folder + "/cifar-10-batches-bin/link.bin"))  // links are never created
    }

    @Test func readsOctalAndBase256Sizes() {
        let octal = ArraySlice(Array("  0001750\0".utf8) + [0, 0])
        #expect(TarArchive.octal(octal, from: 0, count: 12) == 1000)
        let base256: ArraySlice<UInt8> = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00]
        #expect(TarArchive.octal(base256, from: 0, count: 12) == 256)
        #expect(TarArchive.octal(ArraySlice(Array("12x".utf8) + [0]), from: 0, count: 4) == nil)
    }
}
