import DockerfileSyntax

extension Builder {
    /// Placeholder until ContainerRuntime is merged.
    func dispatchRun(_ run: RunInstruction, state: inout StageState, title: String) async throws {
        throw BuildError("RUN is not available yet", range: run.node.range)
    }
}
