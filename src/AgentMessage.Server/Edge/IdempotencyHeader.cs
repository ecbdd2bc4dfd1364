namespace AgentMessage.Server.Edge;

/// <summary>The idempotency headers (gRPC: the same names as metadata).</summary>
public static class IdempotencyHeader
{
    public const string Name = "Idempotency-Key";
    public const string Replayed = "Idempotent-Replayed";
}
