using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Infrastructure.Redis.Messaging;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

public sealed class RedisMessageStoreContractTests(RedisFixture redis, ITestOutputHelper output) : MessageStoreContract, IClassFixture<RedisFixture>
{
    protected override async Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null)
    {
        await redis.Server.FlushAsync();
        return StoreHarness.Redis(redis.Server.Configuration, settings);
    }

    [Fact]
    public async Task Sends_arriving_while_a_run_is_at_Redis_share_the_next_run()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var admission = stores.Get<ISendAdmission>();
        const int sends = 3 * RedisSendAdmission.MaxBatch;

        // The organization's first send registers it for dispatch; the script is loaded.
        await admission.AdmitAsync(new AdmissionRequest(org, StoreHarness.Generous, ContractData.Message(org, stores.Time.GetUtcNow()), null), TestContext.Current.CancellationToken);
        await redis.Server.ResetStatsAsync();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, sends).Select(_ => admission.AdmitAsync(
            new AdmissionRequest(org, StoreHarness.Generous, ContractData.Message(org, stores.Time.GetUtcNow()), null), TestContext.Current.CancellationToken).AsTask()));
        var stats = await redis.Server.CommandStatsAsync();
        output.WriteLine(string.Join(", ", stats.Select(c => $"{c.Key}={c.Value}")));

        Assert.All(outcomes, o => Assert.True(o.RateLimit.Allowed));
        Assert.Equal(sends, stats.GetValueOrDefault("xadd"));

        // The first send finds no run under way and goes alone; the rest wait for it and go in runs
        // of at most MaxBatch: 4 runs when nothing else delays the caller, never one per send.
        Assert.InRange(stats.GetValueOrDefault("evalsha"), 4, sends / 2);
    }

    [Fact]
    public async Task When_Redis_does_not_answer_the_sends_waiting_behind_a_run_fail_with_it()
    {
        await redis.Server.FlushAsync();
        await using var stores = StoreHarness.Redis(redis.Server.Configuration + ",asyncTimeout=500");
        var org = ContractData.Organization();
        var admission = stores.Get<ISendAdmission>();
        AdmissionRequest Send() => new(org, StoreHarness.Generous, ContractData.Message(org, stores.Time.GetUtcNow()), null);
        await admission.AdmitAsync(Send(), TestContext.Current.CancellationToken);

        await redis.Server.CommandAsync("CLIENT", "PAUSE", "3000", "ALL");
        var first = admission.AdmitAsync(Send(), TestContext.Current.CancellationToken).AsTask();
        var waiting = Enumerable.Range(0, 2 * RedisSendAdmission.MaxBatch).Select(_ => admission.AdmitAsync(Send(), TestContext.Current.CancellationToken).AsTask()).ToList();
        var failure = await Assert.ThrowsAsync<StoreUnavailableException>(() => first);
        var failures = new List<Exception>();
        foreach (var send in waiting)
        {
            failures.Add(await Assert.ThrowsAsync<StoreUnavailableException>(() => send));
        }

        // Each waiting send failed with the run it waited behind, not after a run of its own timed out.
        Assert.All(failures, f => Assert.Same(failure, f));
        await redis.Server.CommandAsync("PING");
    }
}
