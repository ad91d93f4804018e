import Foundation
import Hummingbird
import KernelCore
import KernelStore
public import KernelTasks
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
public import UnixSignals

/// `kernel tasks serve`: the scheduler loop and the HTTP server (API, webhooks, API triggers, dashboard) in one
/// process. SIGTERM (or ``shutdown()``) stops accepting connections, lets running runs finish for `grace`
/// seconds, then cancels them (recorded as cancelled) and returns.
public final class TaskServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        /// 0: any free port (``port`` tells which once started).
        public var port = 8787
        public var jsonLogs = false
        /// Run the scheduler (timed triggers, starting queued runs) in this process; off, the server only queues
        /// runs and another `kernel tasks scheduler` starts them.
        public var runScheduler = true
        public var poll: Double = 30
        /// Seconds running runs get after SIGTERM before they are cancelled.
        public var grace: Double = 30
        /// Body caps: the management API, and webhook / event / invoke requests.
        public var apiBodyLimit = 1 << 20
        public var hookBodyLimit = 5 << 20
        /// `tasks.github`: the event deliveries' secret (resolved) and the runner's own account.
        public var githubSecret: String?
        public var githubLogin: String?
        /// Where API-created blueprints go: the user's and the project's `tasks/` folders.
        public var userTasksDir: String
        public var projectTasksDir: String
        /// `${VAR}` references of webhook secrets are resolved from it.
        public var environment: [String: String] = ProcessInfo.processInfo.environment
        /// Seconds a composed catalog is reused before the blueprint files are read again.
        public var reloadInterval: Double = 2
        /// Group commit of enqueued runs: seconds a batch waits for more requests after its first, and its
        /// largest size (``EnqueueBatcher``). No wait by default: what arrives while one batch commits is the
        /// next batch (under `tasks_server_load.sh` a 1 ms window gave fewer requests a second, not larger batches).
        public var commitWindow: Double = 0
        public var commitBatch = 256

        public init(userTasksDir: String, projectTasksDir: String) {
            self.userTasksDir = userTasksDir; self.projectTasksDir = projectTasksDir
        }
    }

    let configuration: Configuration
    let store: KernelStore
    let tokens: TaskTokens
    let engines: EngineBox
    let log: ServerLog
    let limiter = RateLimiter()
    /// Every run this server queues goes through it: one transaction per batch of concurrent requests.
    let batcher: EnqueueBatcher
    /// The dashboard's CSRF key (random per process).
    let csrfKey: [UInt8]
    let scheduler: TaskScheduler?
    let started = AtomicBox<Int?>(nil)
    let group = AtomicBox<ServiceGroup?>(nil)

    /// - Parameters:
    ///   - makeEngine: composes the blueprints and builds an engine over `store` (called again when files change).
    public init(configuration: Configuration, store: KernelStore, log: ServerLog? = nil,
                makeEngine: @escaping @Sendable () throws -> TaskEngine) {
        self.configuration = configuration
        self.store = store
        self.tokens = TaskTokens(store: store, readConnection: true)
        self.batcher = EnqueueBatcher(store: store, window: configuration.commitWindow, maxBatch: configuration.commitBatch)
        self.log = log ?? ServerLog(json: configuration.jsonLogs)
        let engines = EngineBox(maxAge: configuration.reloadInterval, make: makeEngine)
        self.engines = engines
        var rng = SystemRandomNumberGenerator()
        self.csrfKey = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        self.scheduler = configuration.runScheduler ? TaskScheduler(poll: configuration.poll) { try engines.engine } : nil
    }

    /// The event loops of every server in this process: half the cores (at least one). The other half is left to
    /// the handlers (Swift's cooperative pool) and the group-commit writer: on 2 cores, two loop threads beside
    /// them (and a load generator) only added context switches.
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: max(1, System.coreCount / 2))

    /// The bound port, once the server listens.
    public var port: Int? { started.value }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Serves until SIGTERM / SIGINT or ``shutdown()``.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        var logger = Logger(label: "kernel.tasks.server") { _ in ServerLogHandler(sink: self.log) }
        logger.logLevel = .warning
        // Memory flat under load: the store's pages stay out of the process (a failure only costs that).
        try? store.readWithoutMemoryMap()
        // Commits never wait for a checkpoint of the log (it was the p99 at 2,000 requests/s).
        let checkpointer = try? WALCheckpointer(store: store)
        defer { checkpointer?.stop() }
        _ = try engines.snapshot()
        let router = Router()
        router.add(middleware: AccessLog(log: log))
        routes(router)
        var services: [any Service] = []
        if let scheduler { services.append(SchedulerService(scheduler: scheduler, grace: configuration.grace, log: log)) }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "kernel-tasks",
                                 backlog: 1024, reuseAddress: false),
            services: services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                self.started.set(port)
                self.log.log("info", "listening", [("address", .string("\(self.configuration.host):\(port)")),
                                                   ("scheduler", .bool(self.scheduler != nil))])
            },
            eventLoopGroupProvider: .shared(Self.eventLoops),
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: signals, logger: logger))
        self.group.set(group)
        do { try await group.run() } catch {
            await batcher.close()
            log.flush()
            throw error
        }
        // The HTTP server has stopped: what it accepted is written before the process ends.
        await batcher.close()
        let stats = batcher.statistics
        log.log("info", "stopped", [("commits", .int(stats.batches)), ("queued", .int(stats.requests)), ("largestBatch", .int(stats.largest))])
        log.flush()
    }

    /// Starts the graceful shutdown SIGTERM starts.
    public func shutdown() async {
        await group.value?.triggerGracefulShutdown()
    }

    func routes(_ r: Router<BasicRequestContext>) {
        r.get("/healthz") { _, _ in JSON.response(.object([("status", .string("ok"))])) }
        r.get("/openapi.json") { _, _ in
            guard let bytes = OpenAPIDocument.bytes else {
                return APIError(.serviceUnavailable, "unavailable", "openapi.json is not installed beside the server").response
            }
            var buffer = ByteBuffer()
            buffer.writeBytes(bytes)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
        }
        apiRoutes(r)
        triggerRoutes(r)
        dashboardRoutes(r)
    }

    /// Wraps a handler so an ``APIError`` (or any other error) is answered as JSON.
    func handler(_ body: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response)
        -> @Sendable (Request, BasicRequestContext) async throws -> Response {
        { request, context in
            do { return try await body(request, context) } catch let e as APIError {
                return e.response
            } catch let e as TaskError {
                return APIError.task(e).response
            } catch {
                self.log.log("error", "request failed", [("error", .string("\(error)"))])
                return APIError(.internalServerError, "internal", "\(error)").response
            }
        }
    }

    /// The token of a request (bearer header or dashboard cookie), checked for `scope`.
    func authorize(_ request: Request, _ scope: TokenScope) throws(APIError) -> TokenRecord {
        guard let token = request.bearer ?? request.cookie(Dashboard.cookie).flatMap({ $0.removingPercentEncoding }) else { throw APIError.unauthorized }
        do { return try tokens.verify(token, for: scope) } catch {
            if error == .scope { throw APIError(.forbidden, "forbidden", "the token does not grant \(scope)") }
            throw APIError(.unauthorized, "unauthorized", error.message)
        }
    }
}

/// One access-log line per request: method, path (no query), status, milliseconds.
struct AccessLog<Context: RequestContext>: RouterMiddleware {
    let log: ServerLog
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = (ContinuousClock.now - start).components
        let ms = Double(elapsed.attoseconds) / 1e15 + Double(elapsed.seconds) * 1000
        log.log("info", "request", [("method", .string(request.method.rawValue)), ("path", .string(request.uri.path)),
                                    ("status", .int(response.status.code)), ("ms", .double((ms * 100).rounded() / 100))],
                deferred: true)
        return response
    }
}

/// The scheduler loop as a service: on graceful shutdown it drains (no new runs), and after the grace cancels
/// the runs still going (the runner records them as cancelled).
struct SchedulerService: Service {
    let scheduler: TaskScheduler
    let grace: Double
    let log: ServerLog

    func run() async throws {
        _ = await withGracefulShutdownHandler {
            await scheduler.run()
        } onGracefulShutdown: {
            log.log("info", "draining", [("running", .int(scheduler.running)), ("graceSeconds", .double(grace))])
            scheduler.stop()
            let s = scheduler, g = grace, l = log
            Task.detached {
                try? await Task.sleep(nanoseconds: UInt64(g * 1e9))
                if s.running > 0 { l.log("warning", "grace over: cancelling runs", [("running", .int(s.running))]) }
                s.stop()
            }
        }
    }
}

/// A lock-protected value.
final class AtomicBox<T: Sendable>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func set(_ v: T) { lock.withLock { stored = v } }
}

/// The committed OpenAPI description (Kernel/TasksServer/openapi.json), served at /openapi.json: read from the
/// resource folder SwiftPM puts beside the executable, else from the source checkout.
enum OpenAPIDocument {
    static let bytes: [UInt8]? = {
        let exe = URL(fileURLWithPath: DetachedProcess.currentExecutable).deletingLastPathComponent()
        let candidates = [exe.appendingPathComponent("Kernel_KernelTasksServer.resources/openapi.json").path,
                          URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("openapi.json").path]
        for path in candidates { if let b = try? FileSystem.read(path) { return b } }
        return nil
    }()
}
