using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Core.Tests.RateLimiting;

public sealed class TokenBucketTests
{
    private static readonly RateLimitPolicy Policy = new(Burst: 3, PerSecond: 2);

    [Fact]
    public void Take_FromFullBucket_AdmitsAndReportsRemaining()
    {
        var (tokens, decision) = TokenBucket.Take(3, TimeSpan.Zero, Policy);

        Assert.True(decision.Allowed);
        Assert.Equal(2, tokens);
        Assert.Equal(2, decision.Remaining);
        Assert.Equal(3, decision.Limit);
        Assert.Equal(TimeSpan.FromSeconds(0.5), decision.ResetAfter);
    }

    [Fact]
    public void Take_FromEmptyBucket_RefusesWithTimeToNextToken()
    {
        var (tokens, decision) = TokenBucket.Take(0.5, TimeSpan.Zero, Policy);

        Assert.False(decision.Allowed);
        Assert.Equal(0.5, tokens);
        Assert.Equal(TimeSpan.FromSeconds(0.25), decision.RetryAfter);
    }

    [Fact]
    public void Take_AfterIdleTime_RefillsButNeverBeyondBurst()
    {
        var (afterSecond, _) = TokenBucket.Take(0, TimeSpan.FromSeconds(1), Policy);
        var (afterHour, _) = TokenBucket.Take(0, TimeSpan.FromHours(1), Policy);

        Assert.Equal(1, afterSecond);
        Assert.Equal(2, afterHour);
    }

    [Fact]
    public void Take_OverAnyPeriod_AdmitsAtMostBurstPlusRateTimesElapsed()
    {
        var tokens = (double)Policy.Burst;
        var admitted = 0;
        for (var step = 0; step < 1000; step++)
        {
            // 1000 attempts over 10 seconds of 10 ms steps.
            (tokens, var decision) = TokenBucket.Take(tokens, step == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(10), Policy);
            admitted += decision.Allowed ? 1 : 0;
        }

        Assert.InRange(admitted, 1, Policy.Burst + (Policy.PerSecond * 10));
    }

    [Fact]
    public void Take_WithClockGoingBackwards_DoesNotRemoveTokens()
    {
        var (tokens, decision) = TokenBucket.Take(2, TimeSpan.FromSeconds(-5), Policy);

        Assert.True(decision.Allowed);
        Assert.Equal(1, tokens);
    }
}
