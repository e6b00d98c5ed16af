// Temporary stand-in so the lead can compile; the system helper replaces this file.
public struct SystemReport: Codable, Sendable, Equatable {}
