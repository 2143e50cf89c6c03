import DockerfileSyntax

/// Secrets in ARG/ENV names, in literal values anywhere in the Dockerfile, and in context files
/// that a COPY/ADD would put into the image.
enum SecretRules {
    static let secretHelp = "Anything in a Dockerfile or an image layer can be read by whoever has the image (docker history). "
        + "Pass secrets at run time as environment variables, or at build time with RUN --mount=type=secret,id=<name>."

    /// BuildKit's check: an ARG or ENV key with a `_`-delimited sensitive word in it.
    static let secretsUsedInArgOrEnv = Rule(.buildkit("SecretsUsedInArgOrEnv", "Sensitive data should not be used in the ARG or ENV commands")) { input, info in
        input.model.allNodes.flatMap { node -> [Finding] in
            let keys: [String]
            switch node.keyword {
            case "arg": keys = node.argDeclarations.map(\.name)
            case "env": keys = node.keyValuePairs.map(\.key)
            default: return []
            }
            return keys.filter(isSensitiveKey).map { key in
                info.finding(
                    "Do not use ARG or ENV instructions for sensitive data (\(node.upperKeyword) \"\(key)\")", at: node.range,
                    help: secretHelp)
            }
        }
    }

    static let sensitiveWords: Set<String> = ["apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"]
    static let excludedWords: Set<String> = ["public", "file", "version"]

    /// Whether a key has a sensitive `_`-delimited word and none of public, file or version.
    static func isSensitiveKey(_ key: String) -> Bool {
        let words = Set(key.lowercased().split(separator: "_", omittingEmptySubsequences: false).map(String.init))
        return !words.isDisjoint(with: sensitiveWords) && words.isDisjoint(with: excludedWords)
    }

    /// Kiln: credential-looking literals (token formats, private keys, high-entropy values of
    /// sensitive names). Messages show only a masked stand-in, never the value.
    static let secretInDockerfile = Rule(.kiln("SecretInDockerfile", "Secret values must not be written into a Dockerfile")) { input, info in
        lines(of: input).flatMap { number, text in
            SecretDetector.scan(line: text).map { hit in
                info.finding(
                    "Possible \(hit.kind) '\(hit.masked)' written in the Dockerfile (value masked)",
                    at: SourceRange(start: SourceLocation(line: number, column: hit.columns.lowerBound),
                                    end: SourceLocation(line: number, column: hit.columns.upperBound)),
                    help: "Remove it and revoke it: it is now in the image history. " + secretHelp)
            }
        }
    }

    /// The numbered lines to scan: the whole source when known, else each instruction's text.
    private static func lines(of input: CheckInput) -> [(Int, String)] {
        if let source = input.source {
            return source.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { ($0.offset + 1, String($0.element)) }
        }
        return input.tree.nodes.flatMap { node in
            [(node.range.start.line, node.original)] + node.heredocs.map { (node.range.start.line, $0.content) }
        }
    }

    /// Kiln: a secret-looking context file (after .dockerignore filtering) that a COPY/ADD copies.
    static let secretFileInContext = Rule(.kiln("SecretFileInContext", "Secret files in the build context must not be copied into the image")) { input, info in
        guard let context = input.context else { return [] }
        let secrets = context.files.compactMap { file in SecretFiles.kind(of: file).map { (file, $0) } }
        guard !secrets.isEmpty else { return [] }
        var findings: [Finding] = []
        for copy in input.model.contextCopies {
            var reported: Set<String> = []
            for (file, kind) in secrets where copy.copiedFiles(from: [file]).count == 1 {
                let name = SecretFiles.reportedName(of: file)
                guard reported.insert(name).inserted else { continue }
                findings.append(info.finding(
                    "\(copy.node.upperKeyword) on line \(copy.node.range.start.line) would copy '\(name)' (\(kind)) into the image",
                    at: copy.node.range,
                    help: "Add '\(name)' to \(context.ignoreFile?.name ?? ".dockerignore"), or copy only the files the image needs. " + secretHelp))
            }
        }
        return findings
    }
}
