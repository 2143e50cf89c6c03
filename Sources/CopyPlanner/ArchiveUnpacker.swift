import Foundation
import LayerArchive

/// `ADD`'s local archive handling: a regular file is an archive when, after decompression
/// (gzip, bzip2, xz, zstd or none, told by its first bytes), a tar header can be read from it
/// (BuildKit's `isArchivePath`); such an archive is extracted instead of copied.
enum ArchiveUnpacker {
    /// The decompressed, normalised tar of `path` (a file in `scratch`), or nil when `path`
    /// is not a tar archive.
    static func tarFile(_ path: String, scratch: String) throws -> String? {
        guard let file = try? FileDescriptor.open(reading: path) else { return nil }
        let head = (try? file.read(upTo: CompressionSniffer.prefixLength)) ?? []
        let compression = CompressionSniffer.detect(head)
        var input = path
        if compression != .none && compression != .gzip {
            input = scratch + "/decompressed-\(UUID().uuidString).tar"
            guard try decompress(path, compression, to: input) else { return nil }
        }
        let output = scratch + "/archive-\(UUID().uuidString).tar"
        do {
            let (_, source) = try CompressionSniffer.decompressing(try FileDescriptor.open(reading: input))
            var normalizer = TarNormalizer(source)
            guard try normalizer.copy(to: try FileDescriptor.create(writing: output)) else { return nil }
        } catch let error as CopyError {
            throw error  // a tar archive whose later entries are corrupt: an error, not a file to copy
        } catch {
            return nil  // not decompressible: not an archive, copied as it is
        }
        guard var reader = try? TarReader(detectingCompressionOf: output), (try? reader.next()) != nil else { return nil }
        return output
    }

    /// Extracts the tar at `tar` into a new directory under `scratch`, owners kept, and returns it
    /// with the paths the archive names itself (cleaned components joined by `/`): the other
    /// directories there were made only to hold its entries.
    static func extract(_ tar: String, scratch: String) throws -> (directory: String, named: Set<String>) {
        let directory = scratch + "/unpacked-\(UUID().uuidString)"
        guard mkdir(directory, 0o755) == 0 else { throw CopyError(.io, "cannot create \(directory): \(String(cString: strerror(errno)))") }
        do {
            let applier = LayerApplier(target: directory, options: LayerApplyOptions(whiteouts: .delete))
            var reader = try TarReader(detectingCompressionOf: tar)
            try applier.apply(&reader)
        } catch {
            throw CopyError(.io, "failed to extract archive: \(error)")
        }
        var named = Set<String>()
        do {
            var reader = try TarReader(detectingCompressionOf: tar)
            while let header = try reader.next() { named.insert(cleaned(header.path)) }
        } catch {
            throw CopyError(.io, "failed to read archive: \(error)")
        }
        return (directory, named)
    }

    /// An archive name as components below the extraction root (`./a//b/` is `a/b`, `..` stays inside).
    static func cleaned(_ name: String) -> String {
        var parts: [Substring] = []
        for component in name.split(separator: "/") where component != "." {
            if component == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(component)
        }
        return parts.joined(separator: "/")
    }

    /// Runs `bzip2`/`xz`/`zstd -dc` into `output`; false when the tool fails (not an archive).
    private static func decompress(_ path: String, _ compression: Compression, to output: String) throws -> Bool {
        let tool: String
        switch compression {
        case .bzip2: tool = "bzip2"
        case .xz: tool = "xz"
        case .zstd: tool = "zstd"
        default: return false
        }
        guard FileManager.default.createFile(atPath: output, contents: nil),
              let handle = FileHandle(forWritingAtPath: output) else {
            throw CopyError(.io, "cannot create \(output)")
        }
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, "-dc", path]
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CopyError(.unsupported, "\(compression.rawValue) archive needs the \(tool) command: \(error)")
        }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
