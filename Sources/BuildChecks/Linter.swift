import DockerfileSyntax

/// A check: its description and the function that finds violations.
public struct Rule: Sendable {
    public var info: RuleInfo
    let body: @Sendable (CheckInput, RuleInfo) -> [Finding]

    /// `body` gets the input and this rule's info (to make findings with `info.finding`).
    init(_ info: RuleInfo, _ body: @escaping @Sendable (CheckInput, RuleInfo) -> [Finding]) {
        self.info = info
        self.body = body
    }

    /// The rule's findings for `input`, unfiltered.
    public func run(_ input: CheckInput) -> [Finding] {
        body(input, info)
    }
}

/// Runs a list of rules over a `CheckInput` and returns their findings in source order.
public struct Linter: Sendable {
    public var rules: [Rule]
    public var config: CheckConfig

    /// `config` defaults to the Dockerfile's own `# check=` directive; pass one to override it.
    public init(rules: [Rule] = Linter.allRules, config: CheckConfig = CheckConfig()) {
        self.rules = rules
        self.config = config
    }

    /// The settings from a tree's `# check=` directive (default settings when there is none).
    public static func config(for tree: SyntaxTree) throws(CheckConfigError) -> CheckConfig {
        guard let directive = tree.directives.check else { return CheckConfig() }
        return try CheckConfig(directive: directive)
    }

    /// Findings of every enabled rule, sorted by location. With `error=true` they are errors.
    public func run(_ input: CheckInput) -> [Finding] {
        var findings: [Finding] = []
        for rule in rules where config.isEnabled(rule.info) {
            findings += rule.run(input)
        }
        if config.failOnFindings {
            for i in findings.indices { findings[i].severity = .error }
        }
        return findings.sorted(by: Finding.sourceOrder)
    }

    /// Every rule kiln knows: BuildKit's, then kiln's own.
    public static let allRules: [Rule] = buildkitRules + kilnRules

    public static let buildkitRules: [Rule] = [
        CasingRules.stageNameCasing, CasingRules.fromAsCasing, CasingRules.noEmptyContinuation,
        CasingRules.consistentInstructionCasing,
        StageRules.duplicateStageName, StageRules.reservedStageName,
        InstructionRules.jsonArgsRecommended, InstructionRules.maintainerDeprecated,
        FromRules.undefinedArgInFrom, InstructionRules.workdirRelativePath, VariableRules.undefinedVar,
        StageRules.multipleInstructionsDisallowed, InstructionRules.legacyKeyValueFormat,
        FromRules.invalidBaseImagePlatform, FromRules.redundantTargetPlatform,
        SecretRules.secretsUsedInArgOrEnv, FromRules.invalidDefaultArgInFrom,
        FromRules.fromPlatformFlagConstDisallowed, ContextRules.copyIgnoredFile,
        StageRules.invalidDefinitionDescription, InstructionRules.exposeProtoCasing,
        InstructionRules.exposeInvalidFormat,
    ]

    public static let kilnRules: [Rule] = [
        ImageRules.rootUser, ContextRules.missingDockerignore, SecretRules.secretFileInContext,
        SecretRules.secretInDockerfile, CacheRules.cacheBustingCopyOrder, ImageRules.unpinnedBaseImage,
        ImageRules.buildToolsInFinalImage,
    ]

    /// The rule called `name`, if kiln has one.
    public static func rule(named name: String) -> Rule? {
        allRules.first { $0.info.name == name }
    }
}
