namespace AgentMessage.Testing;

/// <summary>How <see cref="RedisServer"/> starts redis-server.</summary>
/// <param name="Persistent">
/// An append-only file fsynced on every write (data survives a restart); without it redis-server keeps
/// nothing on disk, which is what a throughput measurement wants.
/// </param>
/// <param name="ClientName">The CLIENT SETNAME of the admin connection, so counters can tell it from the server's.</param>
/// <param name="DirectoryPrefix">The prefix of the temporary data directory's name.</param>
public sealed record RedisServerOptions(
    bool Persistent = true,
    string ClientName = "agentmessage-testing",
    string DirectoryPrefix = "agentmessage-redis-");
