namespace AgentMessage.Server.Infrastructure.Smpp;

/// <summary>
/// The instance's submit rate over all its binds: at most <c>MaxSubmitsPerSecond</c> (0 =
/// unlimited), and a pause after the SMSC says it is throttling (<c>ESME_RTHROTTLED</c>) that doubles
/// with each throttled answer in a row, from 100 ms up to 5 s, and ends with the first accepted one.
/// </summary>
internal sealed class SubmitPacer
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private readonly TimeProvider time;
    private readonly long interval;
    private long nextSlot;
    private long pausedUntil;
    private TimeSpan pause;

    public SubmitPacer(int maxPerSecond, TimeProvider time)
    {
        this.time = time;
        interval = maxPerSecond > 0 ? Math.Max(1, time.TimestampFrequency / maxPerSecond) : 0;
    }

    /// <summary>No rate and no pause: submissions may go out in batches.</summary>
    public bool IsUnpaced => interval == 0 && Volatile.Read(ref pausedUntil) <= time.GetTimestamp();

    /// <summary>How long the instance is paused for throttling right now.</summary>
    public TimeSpan CurrentPause => pause;

    /// <summary>Waits for this submission's turn.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        if (IsUnpaced)
        {
            return Task.CompletedTask;
        }

        long wait;
        lock (gate)
        {
            var now = time.GetTimestamp();
            var slot = Math.Max(Math.Max(now, nextSlot), pausedUntil);
            nextSlot = slot + interval;
            wait = slot - now;
        }

        return wait <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromSeconds((double)wait / time.TimestampFrequency), time, cancellationToken);
    }

    /// <summary>The SMSC throttled a submission: pause, longer each time in a row.</summary>
    public void Throttled()
    {
        lock (gate)
        {
            pause = pause == TimeSpan.Zero ? FirstPause : TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
            Volatile.Write(ref pausedUntil, time.GetTimestamp() + (long)(pause.TotalSeconds * time.TimestampFrequency));
        }
    }

    /// <summary>The SMSC accepted a submission: throttling is over.</summary>
    public void Accepted()
    {
        if (pause != TimeSpan.Zero)
        {
            lock (gate)
            {
                pause = TimeSpan.Zero;
            }
        }
    }
}
