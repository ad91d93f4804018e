import ArgumentParser

/// The most frequent invocations (`plugins list`, `plugins validate`, `plugins search`, `memory show`,
/// `rules list`) parsed without swift-argument-parser.
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
        guard arguments.count >= 2, var scan = Scan(Array(arguments.dropFirst(2))) else { return nil }
        switch (arguments[0], arguments[1]) {
        case ("plugins", "list"), ("plugin", "list"):
            guard let global = scan.global(), let available = scan.flag("available"),
                  let dirs = scan.values("plugin-dir"), scan.positionals.isEmpty, scan.isConsumed else { return nil }
            var list = KernelCommand.Plugins.List()
            list.global = global
            list.available = available
            list.pluginDirs = dirs ?? []
            return list
        case ("plugins", "validate"), ("plugin", "validate"):
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
        case ("plugins", "search"), ("plugin", "search"):
            guard let global = scan.global(), let limitText = scan.value("limit"),
                  !scan.positionals.isEmpty, scan.isConsumed else { return nil }
            var search = KernelCommand.Plugins.Search()
            search.global = global
            search.query = scan.positionals
            if let limitText {
                // Only what `Int(argument:)` reads the same way; anything else is the full parser's error.
                guard let limit = Int(limitText), String(limit) == limitText else { return nil }
                search.limit = limit
            } else {
                search.limit = 50
            }
            return search
        case ("memory", "show"):
            guard let options = scan.memoryOptions(), let accessed = scan.values("accessed"),
                  let noContent = scan.flag("no-content"), scan.positionals.isEmpty, scan.isConsumed else { return nil }
            var show = KernelCommand.Memory.Show()
            show.options = options
            show.accessed = accessed ?? []
            show.noContent = noContent
            return show
        case ("rules", "list"):
            guard let options = scan.memoryOptions(), scan.positionals.isEmpty, scan.isConsumed else { return nil }
            var list = KernelCommand.Rules.List()
            list.options = options
            return list
        default:
            return nil
        }
    }

    /// The arguments after the subcommand, split into long options (with the words that follow each) and
    /// positionals; each accessor consumes what it reads, and `isConsumed` says whether every option was read.
    /// Words an option does not take become positionals in their place on the command line, as the full parser
    /// reads them.
    struct Scan {
        /// Each option's words, with their places on the command line.
        private var options: [String: [(index: Int, word: String)]] = [:]
        private var loose: [(index: Int, word: String)] = []
        private var inline: Set<String> = []

        /// Nil when an argument is outside the plain subset (see `FastPath`).
        init?(_ arguments: [String]) {
            var current: String?
            for (index, argument) in arguments.enumerated() {
                // Empty values, `-`, `--`, short options, and words the full parser treats specially.
                guard !argument.isEmpty, argument != "help" else { return nil }
                if argument.hasPrefix("-") {
                    guard argument.hasPrefix("--"), argument.count > 2 else { return nil }
                    var name = String(argument.dropFirst(2))
                    var value: String?
                    if let eq = name.firstIndex(of: "=") {
                        value = String(name[name.index(after: eq)...])
                        name = String(name[..<eq])
                        guard let value, !value.isEmpty, !value.hasPrefix("-") else { return nil }
                        inline.insert(name)
                    }
                    guard !name.isEmpty, options[name] == nil, name != "help", name != "version" else { return nil }
                    options[name] = value.map { [(index, $0)] } ?? []
                    // A value given inline ends the option: what follows is positional.
                    current = value == nil ? name : nil
                } else if let name = current {
                    options[name, default: []].append((index, argument))
                } else {
                    loose.append((index, argument))
                }
            }
        }

        var isConsumed: Bool { options.isEmpty }

        /// The positionals, in command-line order: read them after the options.
        var positionals: [String] { loose.sorted { $0.index < $1.index }.map(\.word) }

        /// A flag: false when absent, true when given alone; nil (not plain) when given a value.
        mutating func flag(_ name: String) -> Bool? {
            guard let words = options.removeValue(forKey: name) else { return false }
            guard !inline.contains(name) else { return nil }
            // The words after a flag are positionals.
            loose.append(contentsOf: words)
            return true
        }

        /// A single-value option: `.some(nil)` when absent, nil when it has no value; extra words are positionals.
        mutating func value(_ name: String) -> String?? {
            guard var words = options.removeValue(forKey: name) else { return .some(nil) }
            guard !words.isEmpty else { return nil }
            let first = words.removeFirst()
            loose.append(contentsOf: words)
            return .some(first.word)
        }

        /// An option taking every value up to the next option (`parsing: .upToNextOption`), given as
        /// `--name a b`; nil when it has none or was given inline.
        mutating func values(_ name: String) -> [String]?? {
            guard let words = options.removeValue(forKey: name) else { return .some(nil) }
            guard !words.isEmpty, !inline.contains(name) else { return nil }
            return .some(words.map(\.word))
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

        /// The memory commands' options (the global ones, `--cwd`, `--plugin-dir`), nil when one is not plain.
        mutating func memoryOptions() -> MemoryOptionGroup? {
            guard let global = global(), let cwd = value("cwd"), let dirs = values("plugin-dir") else { return nil }
            var options = MemoryOptionGroup()
            options.global = global
            options.cwd = cwd
            options.pluginDirs = dirs ?? []
            return options
        }
    }
}
