import ArgumentParser

/// The most frequent invocations (`plugins list`, `plugins validate`) parsed without swift-argument-parser.
///
/// `parseAsRoot` builds the whole command tree, reflects over the matched commands' properties and decodes them
/// through `Decodable`: each first dynamic cast of a type scans the binary's ~7,400 protocol conformance records,
/// about 16 M instructions of every start-up. This parser accepts only a plain subset of what the full parser
/// accepts for those commands (long options and flags each at most once, `--name value` or `--name=value`, values
/// that do not start with `-`) and builds the very value the full parser would. Anything else — help, `--version`,
/// a short option, an unknown or repeated option, a missing value, `--` — returns nil, and the full parser runs
/// (so help, usage and errors are its own, unchanged).
enum FastPath {
    /// The command `arguments` (without the executable's name) ask for, or nil when the full parser must decide.
    static func command(_ arguments: [String]) -> (any ParsableCommand)? {
        guard arguments.count >= 2, arguments[0] == "plugins" || arguments[0] == "plugin" else { return nil }
        guard var scan = Scan(Array(arguments.dropFirst(2))) else { return nil }
        switch arguments[1] {
        case "list":
            guard let global = scan.global(), let available = scan.flag("available"),
                  let dirs = scan.values("plugin-dir"), scan.positionals.isEmpty, scan.isConsumed else { return nil }
            var list = KernelCommand.Plugins.List()
            list.global = global
            list.available = available
            list.pluginDirs = dirs ?? []
            return list
        case "validate":
            guard let strict = scan.flag("strict"), let json = scan.flag("json"), let kindName = scan.value("as"),
                  scan.positionals.count == 1, scan.isConsumed else { return nil }
            var kind = KernelCommand.Plugins.Validate.Kind.auto
            if let kindName {
                guard let k = KernelCommand.Plugins.Validate.Kind(rawValue: kindName) else { return nil }
                kind = k
            }
            var validate = KernelCommand.Plugins.Validate()
            validate.path = scan.positionals[0]
            validate.strict = strict
            validate.json = json
            validate.kind = kind
            return validate
        default:
            return nil
        }
    }

    /// The arguments after the subcommand, split into long options (with the values that follow each) and
    /// positionals; each accessor consumes what it reads, and `isConsumed` says whether every option was read.
    struct Scan {
        var options: [String: [String]] = [:]
        var positionals: [String] = []

        /// Nil when an argument is outside the plain subset (see `FastPath`).
        init?(_ arguments: [String]) {
            var current: String?
            for argument in arguments {
                // Empty values, `-`, `--`, short options, and words the full parser treats specially.
                guard !argument.isEmpty, argument != "help" else { return nil }
                if argument.hasPrefix("-") {
                    guard argument.hasPrefix("--"), argument.count > 2 else { return nil }
                    var name = String(argument.dropFirst(2))
                    var inline: String?
                    if let eq = name.firstIndex(of: "=") {
                        inline = String(name[name.index(after: eq)...])
                        name = String(name[..<eq])
                        guard let value = inline, !value.isEmpty, !value.hasPrefix("-") else { return nil }
                    }
                    guard !name.isEmpty, options[name] == nil, name != "help", name != "version" else { return nil }
                    options[name] = inline.map { [$0] } ?? []
                    // A value given inline ends the option: what follows is positional.
                    current = inline == nil ? name : nil
                } else if let name = current {
                    options[name, default: []].append(argument)
                } else {
                    positionals.append(argument)
                }
            }
            self.arguments = arguments
        }

        private let arguments: [String]

        var isConsumed: Bool { options.isEmpty }

        /// A flag: false when absent, true when given alone; nil (not plain) when given a value.
        mutating func flag(_ name: String) -> Bool? {
            guard let values = options.removeValue(forKey: name) else { return false }
            // The words after a flag are positionals.
            positionals.append(contentsOf: values)
            return values.isEmpty ? true : isInline(name) ? nil : true
        }

        /// A single-value option: `.some(nil)` when absent, nil when it has no value; extra words are positionals.
        mutating func value(_ name: String) -> String?? {
            guard var values = options.removeValue(forKey: name) else { return .some(nil) }
            guard !values.isEmpty else { return nil }
            let first = values.removeFirst()
            positionals.append(contentsOf: values)
            return .some(first)
        }

        /// An option taking every value up to the next option (`parsing: .upToNextOption`), given as
        /// `--name a b`; nil when it has none or was given inline.
        mutating func values(_ name: String) -> [String]?? {
            guard let values = options.removeValue(forKey: name) else { return .some(nil) }
            guard !values.isEmpty, !isInline(name) else { return nil }
            return .some(values)
        }

        /// The global options (`--home`, `--project`, `--json`), nil when one is not plain.
        mutating func global() -> GlobalOptions? {
            guard let home = value("home"), let project = value("project"), let json = flag("json") else { return nil }
            var global = GlobalOptions()
            global.home = home
            global.project = project
            global.json = json
            return global
        }

        private func isInline(_ name: String) -> Bool {
            arguments.contains { $0.hasPrefix("--\(name)=") }
        }
    }
}
