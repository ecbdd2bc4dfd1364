namespace AgentMessage.Client.Tests.Support;

/// <summary>
/// The system clock, telling the test each time the client starts a wait (a retry or reconnect
/// delay creates a timer): how a test knows the client is backing off without timing it.
/// </summary>
public sealed class WatchedClock : TimeProvider
{
    private int waits;

    /// <summary>Called with the number of waits so far each time one starts.</summary>
    public Action<int>? OnWait { get; set; }

    public int Waits => Volatile.Read(ref waits);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = System.CreateTimer(callback, state, dueTime, period);
        OnWait?.Invoke(Interlocked.Increment(ref waits));
        return timer;
    }
}
