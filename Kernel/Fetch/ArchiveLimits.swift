/// The caps an archive must stay within to be unpacked. Over any of them the archive is refused, naming the
/// entry at which the cap was crossed; nothing is silently truncated.
public struct ArchiveLimits: Sendable, Equatable {
    /// The most bytes the unpacked files may hold in all.
    public var maxTotalBytes: Int64
    /// The most bytes one file may hold.
    public var maxEntryBytes: Int64
    /// The most entries (files and folders, as the archive lists them).
    public var maxEntries: Int
    /// The most `/`-separated components in one path (`a/b/c.txt` is 3).
    public var maxDepth: Int
    /// The most bytes unpacked per byte of archive. Checked once the unpacked total passes ``ratioFloorBytes``
    /// (a small archive of text may compress very well without being a bomb).
    public var maxCompressionRatio: Int64
    /// Below this many unpacked bytes the ratio is not checked.
    public var ratioFloorBytes: Int64
    /// The largest archive (the downloaded file) accepted, in bytes.
    public var maxArchiveBytes: Int

    public init(maxTotalBytes: Int64, maxEntryBytes: Int64, maxEntries: Int, maxDepth: Int,
                maxCompressionRatio: Int64, ratioFloorBytes: Int64, maxArchiveBytes: Int) {
        self.maxTotalBytes = maxTotalBytes
        self.maxEntryBytes = maxEntryBytes
        self.maxEntries = maxEntries
        self.maxDepth = maxDepth
        self.maxCompressionRatio = maxCompressionRatio
        self.ratioFloorBytes = ratioFloorBytes
        self.maxArchiveBytes = maxArchiveBytes
    }

    /// 512 MiB unpacked in all, 100 MiB per file, 20,000 entries, 32 levels deep, a ratio of 100 past 8 MiB,
    /// archives up to 200 MiB.
    public static let `default` = ArchiveLimits(
        maxTotalBytes: 512 << 20, maxEntryBytes: 100 << 20, maxEntries: 20_000, maxDepth: 32,
        maxCompressionRatio: 100, ratioFloorBytes: 8 << 20, maxArchiveBytes: 200 << 20)
}

/// What ``SafeArchive/extract(_:into:limits:)`` unpacked.
public struct ExtractReport: Sendable, Equatable {
    /// The folder the tree was renamed to (the `staging` given).
    public var directory: String
    /// Regular files written.
    public var files: Int
    /// Folders created (listed in the archive or implied by a path).
    public var directories: Int
    /// Bytes written in all.
    public var totalBytes: Int64
    /// Entries whose mode lost setuid, setgid, sticky or world-write bits: path and the mode as archived.
    public var strippedModes: [StrippedMode]

    public struct StrippedMode: Sendable, Equatable {
        public var path: String
        public var archivedMode: UInt32
        public var writtenMode: UInt32
    }
}
