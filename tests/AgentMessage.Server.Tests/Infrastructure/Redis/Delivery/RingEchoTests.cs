using AgentMessage.Server.Infrastructure.Redis.Delivery;
using Microsoft.Extensions.Time.Testing;

namespace AgentMessage.Server.Tests.Infrastructure.Redis.Delivery;

/// <summary>The echo after a coalesced ring: it comes once an organization's rings have been quiet
/// for longer than the window in which sends keep quiet, and only that organization's rings delay it.</summary>
public sealed class RingEchoTests : IDisposable
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly List<string> echoed = [];
    private readonly RingEcho echo;

    public RingEchoTests() => echo = new(time, orgs =>
    {
        lock (echoed)
        {
            echoed.AddRange(orgs);
        }
    });

    public void Dispose() => echo.Dispose();

    [Fact]
    public void QuietOutlastsTheWindowInWhichSendsDoNotRing() =>
        Assert.True(RingEcho.Quiet > RingEcho.Window * 2, "an echo must come after every send its ring kept quiet, with room for delays");

    [Fact]
    public void Echo_ComesOnceQuietAfterTheLastRing_AndOnlyOnce()
    {
        echo.Heard("org_a");
        time.Advance(RingEcho.Quiet - TimeSpan.FromMilliseconds(1));
        Assert.Empty(echoed);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["org_a"], echoed);

        time.Advance(RingEcho.Quiet * 10);
        Assert.Equal(["org_a"], echoed);
    }

    [Fact]
    public void RingsOfOneOrganization_PostponeItsEcho_NotAnotherOrganizations()
    {
        echo.Heard("org_a");
        echo.Heard("org_b");
        for (var i = 0; i < 4; i++)
        {
            time.Advance(RingEcho.Quiet / 2);
            echo.Heard("org_b");
        }

        Assert.Equal(["org_a"], echoed);
        time.Advance(RingEcho.Quiet);
        Assert.Equal(["org_a", "org_b"], echoed);
    }

    [Fact]
    public void NoRing_NoEcho()
    {
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(echoed);
    }
}
