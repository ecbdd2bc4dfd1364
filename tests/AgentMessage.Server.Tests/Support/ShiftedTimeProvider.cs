namespace AgentMessage.Server.Tests.Support;

/// <summary>
/// The system clock moved by <see cref="Offset"/>: lets a test make a URL that is already expired, or
/// jump past a TTL. Unlike a frozen fake clock, time keeps flowing, so a whole server (its workers,
/// timers and pacing) runs normally on it.
/// </summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    private long offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref offsetTicks));
        set => Interlocked.Exchange(ref offsetTicks, value.Ticks);
    }

    /// <summary>Moves the clock forward by <paramref name="by"/> at once.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
