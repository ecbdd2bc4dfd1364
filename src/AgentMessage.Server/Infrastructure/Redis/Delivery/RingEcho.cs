using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>
/// The second look a coalesced doorbell needs. The send script rings an organization's events and
/// dispatch doorbells only when each has not rung in the last <see cref="Window"/>
/// (<see cref="RedisKeys.EventsRung"/>, <see cref="RedisKeys.DispatchRung"/>), so at thousands of
/// sends per second the instances hear hundreds of rings instead of thousands.
/// An event written inside that window rings nobody; so whoever reads on a ring reads that
/// organization again once its rings have been quiet for <see cref="Quiet"/>, which is longer than
/// the window: that read comes after every event the ring's marker kept quiet.
/// </summary>
public sealed class RingEcho : IDisposable
{
    /// <summary>How long a ring keeps the next sends quiet (the marker's lifetime in Redis).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(2);

    /// <summary>How long after an organization's last ring its echo comes.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(5);

    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(1);

    private readonly Lock gate = new();
    private readonly Dictionary<string, long> due = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private readonly Action<IReadOnlyList<string>> echo;
    private readonly ITimer timer;
    private bool armed;

    /// <param name="echo">Called on a timer thread with the organizations whose echo is due.</param>
    public RingEcho(TimeProvider time, Action<IReadOnlyList<string>> echo)
    {
        this.time = time;
        this.echo = echo;
        timer = time.CreateTimer(static state => ((RingEcho)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Subscribes <paramref name="heard"/> to a doorbell <paramref name="channel"/> that sends ring
    /// at most once per <see cref="Window"/>: it hears each ring's organization at once, and again
    /// <see cref="Quiet"/> after that organization's last ring. The echo waits on the real clock,
    /// since the marker's window passes on Redis's. Dispose the result to stop the echoes.
    /// </summary>
    public static async Task<RingEcho> SubscribeAsync(ISubscriber subscriber, RedisChannel channel, Action<string> heard)
    {
        var echo = new RingEcho(TimeProvider.System, orgs =>
        {
            foreach (var org in orgs)
            {
                heard(org);
            }
        });
        try
        {
            await subscriber.SubscribeAsync(channel, (_, value) =>
            {
                var org = (string)value!;
                heard(org);
                echo.Heard(org);
            });
            return echo;
        }
        catch
        {
            echo.Dispose();
            throw;
        }
    }

    /// <summary>A ring for <paramref name="organizationId"/> was heard: its echo moves to <see cref="Quiet"/> from now.</summary>
    public void Heard(string organizationId)
    {
        lock (gate)
        {
            due[organizationId] = time.GetTimestamp() + Ticks(Quiet);
            if (!armed)
            {
                // Every other due time is earlier than this one, so an armed timer is early enough.
                armed = true;
                timer.Change(Quiet, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Fire()
    {
        List<string>? ready = null;
        lock (gate)
        {
            var now = time.GetTimestamp();
            long? next = null;
            foreach (var (org, at) in due)
            {
                if (at <= now)
                {
                    (ready ??= []).Add(org);
                }
                else if (next is not { } soonest || at < soonest)
                {
                    next = at;
                }
            }

            foreach (var org in ready ?? [])
            {
                due.Remove(org);
            }

            armed = next is not null;
            if (next is { } nextDue)
            {
                // Timers count whole milliseconds and may fire a little early: at least 1 ms, and
                // an early fire only arms the timer again.
                var remaining = TimeSpan.FromSeconds((double)(nextDue - now) / time.TimestampFrequency);
                timer.Change(remaining < MinimumWait ? MinimumWait : remaining, Timeout.InfiniteTimeSpan);
            }
        }

        if (ready is not null)
        {
            echo(ready);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    public void Dispose() => timer.Dispose();
}
