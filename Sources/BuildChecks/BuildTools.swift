/// Compilers and build toolchains: package names and images that carry them.
enum BuildTools {
    static let packages: Set<String> = [
        "gcc", "g++", "gcc-c++", "cc", "clang", "llvm", "make", "cmake", "ninja", "ninja-build", "build-essential",
        "build-base", "alpine-sdk", "golang", "golang-go", "go", "rustc", "cargo", "rust", "maven", "gradle",
        "autoconf", "automake", "libtool", "default-jdk", "default-jdk-headless", "ant",
    ]

    /// Tool packages named in install commands of a shell text, without versions, leaving out those
    /// the same text removes again (``removals(in:)``).
    static func installedTools(in text: String) -> [String] {
        let removed = removals(in: text)
        guard !removed.everything else { return [] }
        var tools: [String] = []
        for install in Installs.find(in: text) where install.ecosystem == .system {
            // `apk add --virtual .deps gcc …` then `apk del .deps`: the whole set goes.
            if install.packages.contains(where: { $0.hasPrefix(".") && removed.packages.contains($0) }) { continue }
            for package in install.packages {
                let name = baseName(package)
                if isToolchain(name), !removed.packages.contains(name), !tools.contains(name) { tools.append(name) }
            }
        }
        return tools
    }

    /// Packages a shell text uninstalls: `apk del`, `apt-get`/`apt` `purge`/`remove`, `yum`/`dnf`/
    /// `microdnf` `remove`/`erase`. `everything`: the official images' pattern that marks every new
    /// package automatic (`apt-mark auto`) and then purges with `--auto-remove` (or `autoremove`).
    static func removals(in text: String) -> (packages: Set<String>, everything: Bool) {
        var packages = Set<String>()
        var autoRemove = false
        for words in ShellText.commands(in: text) {
            guard let first = words.first else { continue }
            let tool = first.split(separator: "/").last.map(String.init) ?? first
            let operands = words.dropFirst().filter { !$0.hasPrefix("-") }
            guard let verb = operands.first else { continue }
            let removing: Bool
            switch tool {
            case "apk": removing = verb == "del"
            case "apt-get", "apt", "aptitude":
                removing = verb == "purge" || verb == "remove"
                if verb == "autoremove" || (removing && words.contains("--auto-remove")) { autoRemove = true }
            case "yum", "dnf", "microdnf": removing = verb == "remove" || verb == "erase"
            default: removing = false
            }
            if removing { packages.formUnion(operands.dropFirst().map(baseName)) }
        }
        return (packages, autoRemove && text.contains("apt-mark auto"))
    }

    /// `gcc=4:12.2` -> `gcc`; `make~=4.3` -> `make`.
    static func baseName(_ package: String) -> String {
        String(package.prefix { $0 != "=" && $0 != "~" && $0 != ">" && $0 != "<" }).lowercased()
    }

    /// Exact names, plus versioned ones: gcc-12, g++-12, clang-16, llvm-16, openjdk-17-jdk,
    /// openjdk17 (Alpine), java-17-openjdk-devel, golang-1.22-go.
    static func isToolchain(_ name: String) -> Bool {
        if packages.contains(name) { return true }
        for prefix in ["gcc-", "g++-", "clang-", "llvm-"] where name.hasPrefix(prefix) {
            if name.dropFirst(prefix.count).allSatisfy({ $0.isNumber || $0 == "." }) { return true }
        }
        if name.hasPrefix("openjdk") {
            let rest = name.dropFirst("openjdk".count).drop { $0 == "-" }
            let version = rest.prefix { $0.isNumber }
            let suffix = rest.dropFirst(version.count)
            return !version.isEmpty && (suffix.isEmpty || suffix.hasPrefix("-jdk"))
        }
        if name.hasPrefix("java-"), name.hasSuffix("-openjdk-devel") { return true }
        if name.hasPrefix("golang-"), name.hasSuffix("-go") { return true }
        return false
    }

    static let toolchainRepositories: Set<String> = ["golang", "rust", "gcc", "maven", "gradle", "buildpack-deps"]
    static let jdkRepositories: Set<String> = ["openjdk", "eclipse-temurin", "amazoncorretto", "sapmachine"]

    /// The base image if it is a toolchain image (golang, rust, gcc, maven, gradle, buildpack-deps,
    /// or a JDK-tagged Java image), else nil.
    static func toolchainImage(_ base: String) -> String? {
        guard !base.contains("$"), let reference = ImageReference(base) else { return nil }
        let repository = reference.name.split(separator: "/").last.map(String.init) ?? reference.name
        // buildpack-deps' `-curl` and `-scm` variants carry no compilers (the official golang image starts from one).
        if repository == "buildpack-deps", let tag = reference.tag, tag == "curl" || tag == "scm" || tag.hasSuffix("-curl") || tag.hasSuffix("-scm") {
            return nil
        }
        if toolchainRepositories.contains(repository) { return base }
        if jdkRepositories.contains(repository), let tag = reference.tag, tag.contains("jdk") { return base }
        return nil
    }
}
