import ImageSpec

/// Findings in the image config: secrets in ENV and LABEL values and in history lines (which
/// hold the build args a RUN saw: `RUN |1 TOKEN=… /bin/sh -c …`), and risky settings (root user,
/// exposed ports, a shell-form ENTRYPOINT, no HEALTHCHECK).
enum ConfigFindings {
    static func secrets(_ config: ImageConfig, layerOfHistory: [Int?]) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        for variable in config.config.env {
            let name = String(variable.prefix { $0 != "=" })
            for match in SecretMask.scan(line: variable, number: 0) {
                findings.append(AuditFinding(
                    rule: "SecretInEnv", category: .secret, severity: .high,
                    message: "Possible \(match.kind) '\(match.masked)' in ENV \(name): every container and anyone with the image can read it",
                    instruction: instruction(setting: name, in: config), masked: match.masked))
            }
        }
        for (key, value) in config.config.labels.sorted(by: { $0.key < $1.key }) {
            for match in SecretMask.scan(line: "\(key)=\(value)", number: 0) {
                findings.append(AuditFinding(
                    rule: "SecretInLabel", category: .secret, severity: .high,
                    message: "Possible \(match.kind) '\(match.masked)' in LABEL \(key)",
                    instruction: instruction(setting: key, in: config), masked: match.masked))
            }
        }
        let reported = Set(findings.compactMap(\.masked))
        for (index, entry) in config.history.enumerated() {
            guard let line = entry.createdBy else { continue }
            for match in SecretMask.scan(line: line, number: 0) {
                // ENV/LABEL lines repeat what the config already showed.
                if reported.contains(match.masked), isMetadataLine(line) { continue }
                findings.append(AuditFinding(
                    rule: "SecretInHistory", category: .secret, severity: .high,
                    message: "Possible \(match.kind) '\(match.masked)' in the image history (docker history shows it; build args a RUN used are recorded there)",
                    layer: layerOfHistory.indices.contains(index) ? layerOfHistory[index] : nil,
                    instruction: SecretMask.redact(line), masked: match.masked, historyIndex: index))
            }
        }
        return findings
    }

    private static func isMetadataLine(_ line: String) -> Bool {
        let text = line.replacingOccurrences(of: "/bin/sh -c #(nop) ", with: "").trimmingCharacters(in: .whitespaces)
        return text.hasPrefix("ENV ") || text.hasPrefix("LABEL ")
    }

    /// The last history line that set `name` with ENV or LABEL.
    static func instruction(setting name: String, in config: ImageConfig) -> String? {
        config.history.reversed().compactMap(\.createdBy).first { line in
            (line.contains("ENV ") || line.contains("LABEL ")) && line.contains(name)
        }.map(SecretMask.redact)
    }

    static func risks(_ config: ImageConfig) -> [AuditFinding] {
        var config = config
        config.history = config.history.map { entry in
            var entry = entry
            entry.createdBy = entry.createdBy.map(SecretMask.redact)
            return entry
        }
        var findings: [AuditFinding] = []
        let container = config.config
        let user = (container.user ?? "").split(separator: ":").first.map(String.init) ?? ""
        if user.isEmpty || user == "root" || user == "0" {
            findings.append(AuditFinding(
                rule: "RootUser", category: .risk, severity: .medium,
                message: "The image runs as root (\(user.isEmpty ? "no USER" : "USER \(container.user!)")): add a non-root USER",
                instruction: config.history.reversed().compactMap(\.createdBy).first { $0.contains("USER ") }))
        }
        for port in container.exposedPorts.sorted() {
            findings.append(AuditFinding(rule: "ExposedPort", category: .risk, severity: .info, message: "Port \(port) is exposed",
                                         instruction: config.history.reversed().compactMap(\.createdBy).first { $0.contains("EXPOSE") && $0.contains(port.split(separator: "/").first.map(String.init) ?? port) }))
        }
        if let entrypoint = container.entrypoint, entrypoint.count >= 2, ["/bin/sh", "sh", "/bin/bash", "bash"].contains(entrypoint[0]), entrypoint[1] == "-c" {
            findings.append(AuditFinding(
                rule: "ShellFormEntrypoint", category: .risk, severity: .low,
                message: "ENTRYPOINT is in shell form (\(entrypoint[0]) -c): the shell is PID 1 and does not pass SIGTERM on, so `stop` waits and kills; use the JSON (exec) form",
                instruction: config.history.reversed().compactMap(\.createdBy).first { $0.contains("ENTRYPOINT") }))
        }
        if container.healthcheck == nil || container.healthcheck?.test.first == "NONE" {
            findings.append(AuditFinding(rule: "MissingHealthcheck", category: .risk, severity: .info,
                                         message: "No HEALTHCHECK: orchestrators cannot tell a hung container from a healthy one"))
        }
        return findings
    }
}
