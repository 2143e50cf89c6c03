/// One `RUN --device=<name>[,required[=bool]]` request (CDI device; a labs feature).
public struct DeviceRequest: Sendable, Hashable {
    /// The CDI device name (`vendor.com/class=name`), from a bare field or `name=`.
    public var name: String
    /// Fail when the device is not available. Default false.
    public var required: Bool

    public init(name: String, required: Bool = false) {
        self.name = name
        self.required = required
    }

    /// Parses the CSV value of `--device`. A second name (bare or `name=`) is an error:
    /// `device name already set to <first>`.
    public static func parse(_ value: String) throws(DockerfileError) -> DeviceRequest {
        let fields: [String]
        do throws(DockerfileError) {
            fields = try MountCSV.fields(value)
        } catch {
            throw DockerfileError("failed to parse csv devices: \(error.message)")
        }
        var device = DeviceRequest(name: "")
        for field in fields {
            let key: String
            let fieldValue: String?
            if let eq = field.firstIndex(of: "=") {
                key = field[..<eq].lowercased()
                fieldValue = String(field[field.index(after: eq)...])
            } else {
                key = field.lowercased()
                fieldValue = nil
            }
            switch key {
            case "required":
                guard let fieldValue else { device.required = true; continue }
                guard let flag = GoSyntax.parseBool(fieldValue) else {
                    throw DockerfileError("invalid value for required: \(fieldValue)")
                }
                device.required = flag
            case "name":
                try device.setName(fieldValue ?? "")
            default:
                try device.setName(field)
            }
        }
        return device
    }

    private mutating func setName(_ newName: String) throws(DockerfileError) {
        guard name.isEmpty else { throw DockerfileError("device name already set to \(name)") }
        name = newName
    }
}
