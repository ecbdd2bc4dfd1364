namespace AgentMessage.Core.Delivery;

/// <summary>
/// A wake-up that is never lost: a ring while nobody waits is kept until the next wait, which then
/// returns at once. Waits time out on the given <see cref="TimeProvider"/>, so a test can move the
/// clock past them.
/// </summary>
public sealed class Doorbell
{
    private TaskCompletionSource bell = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int rung;

    public void Ring()
    {
        Volatile.Write(ref rung, 1);
        Interlocked.Exchange(ref bell, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Completes at the next ring (or at once, after a ring nobody waited for), or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var waiting = Volatile.Read(ref bell).Task;
        if (Interlocked.Exchange(ref rung, 0) == 1)
        {
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, stop.Token);
        await Task.WhenAny(waiting, delay).ConfigureAwait(false);
        stop.Cancel();
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Exchange(ref rung, 0);
    }
}
