namespace AgentMessage.Server.Tests.Support;

/// <summary>The system clock moved by <see cref="Offset"/>: lets a test make a URL that is already expired.</summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
