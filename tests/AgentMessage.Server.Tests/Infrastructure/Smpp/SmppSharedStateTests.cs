using AgentMessage.Server.Infrastructure.Smpp;
using AgentMessage.Server.Tests.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp;

/// <summary>
/// The SMPP link on the Redis configuration: the SMSC's id for a message is shared state, so a
/// receipt that arrives on another bind, of another instance, still finds its message; several binds
/// share one instance's submissions; and a receipt that cannot be recorded is refused with a transient
/// error, for the SMSC to deliver again.
/// </summary>
public sealed class SmppSharedStateTests(RedisFixture redis, SmscFixture smsc) : IClassFixture<RedisFixture>, IClassFixture<SmscFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await smsc.Server.ResetAsync(Ct);
        await redis.Server.FlushAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task AReceiptOnAnotherInstancesBind_FindsItsMessage()
    {
        await smsc.Server.SetReceiptsAsync(new SmscReceipts { Target = SmscReceiptTarget.Other, Form = SmscReceiptForm.Text, IdForm = SmscReceiptIdForm.Decimal }, Ct);
        await using var instances = await RedisInstances.StartAsync(redis.Server, SmppSupport.Settings(smsc.Server));
        await instances.A.WaitForBindAsync();
        await instances.B.WaitForBindAsync();
        await smsc.Server.WaitForBoundSessionsAsync(2, Wait, Ct);

        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await instances.A.SendTextAsync($"across instances {i}"));
        }

        foreach (var id in ids)
        {
            await instances.B.WaitForStatusAsync(id, "delivered");
        }

        var stats = await smsc.Server.GetStatsAsync(Ct);
        Assert.Equal(6, stats.Submits);
        Assert.Equal(6, stats.ReceiptsAnswered);
    }

    [Fact]
    public async Task SeveralBinds_ShareTheInstancesSubmissions()
    {
        await smsc.Server.AddRuleAsync(SmscRule.Delayed(TimeSpan.FromMilliseconds(200)), Ct);
        await using var server = await SmppSupport.StartBoundAsync(
            smsc.Server,
            ("AgentMessage:Redis:Configuration", redis.Server.Configuration),
            ("AgentMessage:Dev:Seed", "true"),
            ("AgentMessage:Carrier:Smpp:Binds", "2"),
            ("AgentMessage:Carrier:Smpp:WindowSize", "2"));
        await smsc.Server.WaitForBoundSessionsAsync(2, Wait, Ct);
        var link = server.Services.GetRequiredService<SmppLink>();

        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await server.SendTextAsync($"two binds {i}"));
        }

        foreach (var id in ids)
        {
            await server.WaitForStatusAsync(id, "sent");
        }

        var stats = await smsc.Server.GetStatsAsync(Ct);
        Assert.Equal(2, link.BoundCount);
        Assert.Equal(2, stats.BySession.Count(s => s.Value > 0));
    }

    [Fact]
    public async Task AReceiptThatCannotBeRecorded_IsAnsweredWithATransientError()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, SmppSupport.Settings(smsc.Server));
        await instances.A.WaitForBindAsync();
        await instances.B.WaitForBindAsync();

        await redis.Server.StopAsync();
        try
        {
            var reply = await smsc.Server.SendDeliverSmAsync(new SmscDeliverSm
            {
                EsmClass = 0x04,
                Text = "id:00AB12 sub:001 dlvrd:001 submit date:2612010000 done date:2612010001 stat:DELIVRD err:000 text:",
                Encoding = SmscTextEncoding.Latin1,
                DataCoding = 3,
                Timeout = TimeSpan.FromSeconds(10),
            }, Ct);

            Assert.True(reply.Answered);
            Assert.Equal(SmscCommandId.DeliverSmResp, reply.CommandId);
            Assert.Equal(SmscCommandStatus.SystemError, reply.CommandStatus);
        }
        finally
        {
            await redis.Server.RestartAsync(Ct);
        }
    }
}
