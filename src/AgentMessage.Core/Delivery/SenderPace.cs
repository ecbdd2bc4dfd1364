namespace AgentMessage.Core.Delivery;

/// <summary>
/// How a sender number's pace is kept (every store applies the same rule): a message may go when
/// the number's next slot has come, and each message moves the slot on by the number's interval
/// (one over its pace). A fast number may run ahead by up to <see cref="BurstWindow"/>'s worth of
/// messages, so a dispatcher that looks every few milliseconds still reaches its pace; a number
/// paced at 20 per second or slower gets no burst at all.
/// </summary>
public static class SenderPace
{
    public static readonly TimeSpan BurstWindow = TimeSpan.FromMilliseconds(50);

    /// <summary>How far ahead of now a number's next slot may be while it still sends.</summary>
    public static TimeSpan Tolerance(TimeSpan interval) => interval >= BurstWindow ? TimeSpan.Zero : BurstWindow - interval;

    /// <summary>Whether a number whose next slot is <paramref name="nextSlot"/> may send now.</summary>
    public static bool MaySend(DateTimeOffset nextSlot, DateTimeOffset now, TimeSpan interval) => nextSlot - now <= Tolerance(interval);

    /// <summary>The number's next slot after it sends one message now.</summary>
    public static DateTimeOffset Advance(DateTimeOffset nextSlot, DateTimeOffset now, TimeSpan interval) => (nextSlot > now ? nextSlot : now) + interval;

    /// <summary>When a number whose next slot is <paramref name="nextSlot"/> may send again.</summary>
    public static DateTimeOffset EligibleAt(DateTimeOffset nextSlot, TimeSpan interval) => nextSlot - Tolerance(interval);
}
