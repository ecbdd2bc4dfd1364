using System.Diagnostics;

namespace AgentMessage.Server.Tests.Support;

/// <summary>
/// Waits for something a test can observe but not be told about (a key Redis expired, a URL another
/// process's clock expired): checks the condition again and again until it holds or the deadline
/// passes. Never a fixed sleep: a fast machine goes on as soon as the condition holds.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>True once <paramref name="condition"/> holds; false if it still does not after <paramref name="timeout"/>.</summary>
    public static async Task<bool> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        while (!await condition())
        {
            if (started.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(Interval, cancellationToken);
        }

        return true;
    }
}
