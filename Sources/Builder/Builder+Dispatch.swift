import DockerfileSyntax
import Foundation
import ImageSpec

extension Builder {
    /// Applies one instruction to `state`, with progress, cache keys and history.
    func dispatch(_ instruction: Instruction, state: inout StageState, title: String, stageIndex: Int) async throws {
        let range = instruction.range
        switch instruction {
        case .run(let run):
            try await dispatchRun(run, state: &state, title: title, stageIndex: stageIndex)
        case .copy(let copy):
            try await dispatchCopy(CopyOperands(copy), state: &state, title: title, stageIndex: stageIndex)
        case .add(let add):
            try await dispatchCopy(CopyOperands(add), state: &state, title: title, stageIndex: stageIndex)
        case .workdir(let w):
            try await dispatchWorkdir(w, state: &state, title: title)
        default:
            try applyMetadata(instruction, state: &state, range: range)
            noteBuildKitMetadata(instruction, state: &state)
            state.cacheKey = BuildCache.key(state.cacheKey, [Self.displayText(instruction), state.config.history.last?.createdBy ?? ""])
        }
    }

    /// Instructions that change only the config.
    func applyMetadata(_ instruction: Instruction, state: inout StageState, range: SourceRange) throws {
        switch instruction {
        case .env(let env):
            let before = state
            var parts: [String] = []
            for pair in env.pairs {
                let key = try expand(pair.key, before, range)
                let value = try expand(pair.value, before, range)
                state.setConfigEnv(key, value)
                state.setEnv(key, value)
                parts.append("\(key)=\(value)")
            }
            state.record("ENV " + parts.joined(separator: " "), emptyLayer: true)
        case .arg(let arg):
            let before = state
            var parts: [String] = []
            for decl in arg.args {
                var text = decl.key
                var defaultValue: String?
                if let raw = decl.value {
                    // A default is only needed without a build arg: `ARG BAR=${FOO:?msg}` does not
                    // fail when BAR is passed (current BuildKit's dispatchArg expands the default
                    // only then; frontend/dockerfile testArgDefaultExpansion).
                    let expanded: String
                    if let given = options.buildArgs[decl.key] {
                        expanded = (try? expand(raw, before, range)) ?? given
                    } else {
                        expanded = try expand(raw, before, range)
                    }
                    defaultValue = expanded
                }
                let value = options.buildArgs[decl.key] ?? defaultValue ?? global.value(of: decl.key)
                // History names the value in effect: the build arg, else the default, else the
                // global one (current BuildKit's dispatchArg, moby/buildkit 47a52a17, v0.14;
                // Docker 20.10 wrote the default as written, or the bare name).
                if let value { text += "=" + value }
                parts.append(text)
                if let value { state.setEnv(decl.key, value) }
                // Declared again: keeps its first place (moby/buildkit#5505, RUN's history).
                if let i = state.buildArgs.firstIndex(where: { $0.name == decl.key }) {
                    state.buildArgs[i] = (decl.key, value)
                } else {
                    state.buildArgs.append((decl.key, value))
                }
            }
            state.record("ARG " + parts.joined(separator: " "), emptyLayer: true)
        case .label(let label):
            var parts: [String] = []
            for pair in label.labels {
                let key = try expand(pair.key, state, range)
                let value = try expand(pair.value, state, range)
                state.config.config.labels[key] = value
                parts.append("\(key)=\(value)")
            }
            state.record("LABEL " + parts.joined(separator: " "), emptyLayer: true)
        case .expose(let expose):
            var ports: [String] = []
            for raw in expose.ports {
                for word in try expand(raw, state, range).split(separator: " ") {
                    ports += try Self.portSpecs(String(word), range: range)
                }
            }
            for port in ports { state.config.config.exposedPorts.insert(port) }
            state.record(HistoryText.expose(ports), emptyLayer: true)
        case .volume(let volume):
            var paths: [String] = []
            for raw in volume.volumes {
                let path = try expand(raw, state, range)
                guard !path.isEmpty else { throw BuildError.at(range, "VOLUME specified can not be an empty string") }
                paths.append(path)
                state.config.config.volumes.insert(path)
            }
            state.record("VOLUME [" + paths.joined(separator: " ") + "]", emptyLayer: true)
        case .user(let user):
            let value = try expand(user.user, state, range)
            state.config.config.user = value
            state.record("USER " + value, emptyLayer: true)
        case .cmd(let cmd):
            let args = commandArgs(cmd.command, state)
            state.config.config.cmd = args
            if cmd.command.prependShell { state.config.config.argsEscaped = true }
            state.cmdSet = true
            state.record("CMD " + HistoryText.quotedList(args), emptyLayer: true)
        case .entrypoint(let entrypoint):
            let args = commandArgs(entrypoint.command, state)
            state.config.config.entrypoint = args
            if entrypoint.command.prependShell { state.config.config.argsEscaped = true }
            if !state.cmdSet { state.config.config.cmd = nil }
            state.record("ENTRYPOINT " + HistoryText.quotedList(args), emptyLayer: true)
        case .shell(let shell):
            state.config.config.shell = shell.shell
            state.record("SHELL " + HistoryText.quotedList(shell.shell), emptyLayer: true)
        case .stopSignal(let signal):
            let value = try expand(signal.signal, state, range)
            state.config.config.stopSignal = value
            state.record("STOPSIGNAL " + value, emptyLayer: true)
        case .healthcheck(let h):
            let health = h.health
            state.config.config.healthcheck = Healthcheck(
                test: health.test, interval: .nanoseconds(health.interval), timeout: .nanoseconds(health.timeout),
                startPeriod: .nanoseconds(health.startPeriod), startInterval: .nanoseconds(health.startInterval),
                retries: health.retries)
            state.record(HistoryText.healthcheck(health), emptyLayer: true)
        case .onbuild(let onbuild):
            state.config.config.onBuild.append(onbuild.expression)
        case .maintainer(let m):
            state.config.author = m.maintainer
            state.record("MAINTAINER " + m.maintainer, emptyLayer: true)
        case .from:
            throw BuildError.at(range, "unexpected FROM")
        default:
            throw BuildError.at(range, "unsupported instruction")
        }
    }

    /// CMD/ENTRYPOINT/RUN arguments: exec form as written, shell form prefixed with the shell.
    func commandArgs(_ command: ShellCommandLine, _ state: StageState) -> [String] {
        guard command.prependShell else { return command.arguments }
        let shell = state.config.config.shell ?? ["/bin/sh", "-c"]
        return shell + [command.arguments.joined(separator: " ")]
    }

    /// Docker's `nat.ParsePortSpecs` for one EXPOSE word: `80`, `80/udp`, `3000-3002/tcp`.
    static func portSpecs(_ word: String, range: SourceRange) throws -> [String] {
        let parts = word.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first else { return [] }
        let proto = parts.count > 1 ? parts[1].lowercased() : "tcp"
        let bounds = first.split(separator: "-", maxSplits: 1).map { Int($0) }
        guard let low = bounds.first ?? nil else { throw BuildError.at(range, "invalid containerPort: \(first)") }
        let high = bounds.count > 1 ? (bounds[1] ?? low) : low
        guard high >= low else { throw BuildError.at(range, "invalid containerPort: \(first)") }
        return (low...high).map { "\($0)/\(proto)" }
    }
}
