using System.Threading.Tasks.Sources;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// An auto-reset signal for one waiter and any number of wakers, without a lock or an allocation
/// per wait. A wake while nobody waits is kept for the next wait. The waiter's continuation runs on
/// the waking thread (the feed's wake-up pass), deliberately: see <see cref="StatusFeed"/>.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Woken = 2;

    private ManualResetValueTaskSourceCore<bool> core;
    private int state;

    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref state, Idle, Woken) == Woken)
        {
            return ValueTask.CompletedTask;
        }

        core.Reset();
        if (Interlocked.CompareExchange(ref state, Waiting, Idle) == Idle)
        {
            return new ValueTask(this, core.Version);
        }

        // Woken between the two checks: only the waiter leaves Woken, so this is safe.
        Volatile.Write(ref state, Idle);
        return ValueTask.CompletedTask;
    }

    public void Wake()
    {
        while (true)
        {
            switch (Volatile.Read(ref state))
            {
                case Woken:
                    return;
                case Idle when Interlocked.CompareExchange(ref state, Woken, Idle) == Idle:
                    return;
                case Waiting when Interlocked.CompareExchange(ref state, Idle, Waiting) == Waiting:
                    core.SetResult(true);
                    return;
            }
        }
    }

    public void GetResult(short token) => core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
}
