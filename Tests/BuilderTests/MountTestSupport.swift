@testable import Builder
import Foundation
import ImageStore
import Images
import LayerArchive
import XCTest

/// Builds with mount options (secrets, ssh) and scans a store for leaked bytes.
extension BuilderTestCase {
    func build(_ dockerfile: String, noCache: Bool = false, configure: (inout BuildOptions) -> Void,
               service: ImageService? = nil) async throws -> (BuildResult, [String]) {
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.noCache = noCache
        configure(&options)
        let progress = BuildProgress(mode: .quiet)
        let result = try await Builder(options: options, images: service ?? self.service, progress: progress).build()
        return (result, progress.lines)
    }

    /// The error a build fails with.
    func buildError(_ dockerfile: String, configure: (inout BuildOptions) -> Void = { _ in },
                    file: StaticString = #filePath, line: UInt = #line) async throws -> BuildError {
        do {
            _ = try await build(dockerfile, configure: configure)
        } catch let error as BuildError {
            return error
        }
        XCTFail("expected the build to fail", file: file, line: line)
        throw XCTSkip("no error")
    }

    /// The lines a RUN printed (progress lines `#N 0.123 text`), text only.
    func outputLines(_ lines: [String]) -> [String] {
        lines.compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].hasPrefix("#"), parts[1].contains(".") else { return nil }
            return String(parts[2])
        }
    }

    /// Every file below `directory` (not following symlinks) whose content, or gunzipped content
    /// for gzip files, contains `needle`.
    func filesContaining(_ needle: [UInt8], under directory: URL) throws -> [String] {
        try Self.filesContaining(needle, under: directory)
    }

    static func filesContaining(_ needle: [UInt8], under directory: URL) throws -> [String] {
        var hits: [String] = []
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                  let data = FileManager.default.contents(atPath: url.path) else { continue }
            var bytes = Array(data)
            if bytes.count > 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
                let source = try GzipDecompressingSource(InMemorySource(bytes))
                var plain: [UInt8] = []
                while true {
                    let chunk = try source.read(upTo: 1 << 16)
                    if chunk.isEmpty { break }
                    plain += chunk
                }
                bytes = plain
            }
            if contains(bytes, needle) { hits.append(url.path) }
        }
        return hits
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    func storeRoot(_ service: ImageService) -> URL { service.store.location.root }
}
