/// Recognises context files that usually hold credentials.
///
/// Example and template files are not secrets: `.env.example`, `.env.sample`, `.env.template`,
/// `.env.dist` and `.env.defaults` (and the same suffixes on `*.env`) are left out, as are public
/// keys (`*.pub`).
public enum SecretFiles {
    /// What kind of secret `path` (context-relative, `/`-separated) looks like, or nil.
    public static func kind(of path: String) -> String? {
        let components = path.split(separator: "/").map { String($0) }
        guard let base = components.last?.lowercased() else { return nil }
        let parent = components.count >= 2 ? components[components.count - 2].lowercased() : ""
        if components.dropLast().contains(".git") { return "git repository" }
        if base.hasSuffix(".pub") { return nil }
        if isEnvFile(base) { return "environment file" }
        if let kind = exactNames[base] { return kind }
        if parent == ".aws", base == "credentials" || base == "config" { return "AWS credentials" }
        if parent == ".docker", base == "config.json" { return "Docker registry credentials" }
        if parent == ".kube", base == "config" { return "kubeconfig" }
        if base.hasPrefix("kubeconfig") { return "kubeconfig" }
        if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"].contains(where: { base.hasPrefix($0) }) { return "SSH private key" }
        if base.hasPrefix("secrets.") { return "secrets file" }
        if base.hasPrefix("client_secret"), base.hasSuffix(".json") { return "OAuth client secret" }
        for (suffix, kind) in suffixes where base.hasSuffix(suffix) { return kind }
        return nil
    }

    /// `.git/…` paths are reported once, as the `.git/` directory.
    public static func reportedName(of path: String) -> String {
        var prefix: [Substring] = []
        for component in path.split(separator: "/") {
            prefix.append(component)
            if component == ".git" { return prefix.joined(separator: "/") + "/" }
        }
        return path
    }

    private static let templateSuffixes = ["example", "sample", "template", "dist", "defaults", "tmpl", "tpl"]

    private static func isEnvFile(_ base: String) -> Bool {
        let isEnv = base == ".env" || base.hasPrefix(".env.") || base.hasSuffix(".env")
        guard isEnv else { return false }
        return !templateSuffixes.contains { base.hasSuffix(".\($0)") || base.hasPrefix("\($0).") }
    }

    private static let exactNames: [String: String] = [
        ".npmrc": "npm credentials", ".pypirc": "PyPI credentials", ".netrc": "netrc credentials",
        "_netrc": "netrc credentials", ".git-credentials": "git credentials", ".htpasswd": "password file",
        ".pgpass": "PostgreSQL password file", "credentials.json": "credentials file",
        ".vault-token": "Vault token",
    ]

    private static let suffixes: [(String, String)] = [
        (".pem", "PEM key or certificate"), (".key", "private key"), (".p12", "PKCS#12 keystore"),
        (".pfx", "PKCS#12 keystore"), (".jks", "Java keystore"), (".keystore", "keystore"),
        (".tfstate", "Terraform state"), (".tfstate.backup", "Terraform state"),
    ]
}
