using AgentMessage.Server.Infrastructure.Smpp;
using Microsoft.Extensions.Time.Testing;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp;

/// <summary>The instance's submit rate: <c>MaxSubmitsPerSecond</c>, and the pause after throttling.</summary>
public sealed class SubmitPacerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Unlimited_AndNeverThrottled_NeverWaits()
    {
        var pacer = new SubmitPacer(0, new FakeTimeProvider());

        Assert.True(pacer.IsUnpaced);
        Assert.True(pacer.WaitAsync(Ct).IsCompleted);
    }

    [Fact]
    public void ARate_SpacesSubmissionsAtItsInterval()
    {
        var time = new FakeTimeProvider();
        var pacer = new SubmitPacer(10, time);

        var first = pacer.WaitAsync(Ct);
        var second = pacer.WaitAsync(Ct);
        time.Advance(TimeSpan.FromMilliseconds(99));
        var secondEarly = second.IsCompleted;
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.False(pacer.IsUnpaced);
        Assert.True(first.IsCompleted);
        Assert.False(secondEarly);
        Assert.True(second.IsCompleted);
    }

    [Fact]
    public void Throttling_PausesSubmissions_LongerEachTimeInARow_UntilOneIsAccepted()
    {
        var time = new FakeTimeProvider();
        var pacer = new SubmitPacer(0, time);

        pacer.Throttled();
        var firstPause = pacer.CurrentPause;
        var paused = pacer.WaitAsync(Ct);
        var pausedAtOnce = paused.IsCompleted;
        time.Advance(firstPause);
        pacer.Throttled();
        var secondPause = pacer.CurrentPause;
        for (var i = 0; i < 10; i++)
        {
            pacer.Throttled();
        }

        var longest = pacer.CurrentPause;
        pacer.Accepted();
        time.Advance(longest);

        Assert.Equal(TimeSpan.FromMilliseconds(100), firstPause);
        Assert.False(pausedAtOnce);
        Assert.True(paused.IsCompleted);
        Assert.Equal(TimeSpan.FromMilliseconds(200), secondPause);
        Assert.Equal(TimeSpan.FromSeconds(5), longest);
        Assert.Equal(TimeSpan.Zero, pacer.CurrentPause);
        Assert.True(pacer.IsUnpaced);
    }
}
