using AgentMessage.Server.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>The per-instance cache: one load per key however many calls miss at once, failures and
/// loads overtaken by a local change are not kept, and one caller giving up never fails the others.</summary>
public sealed class LocalCacheTests : IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly LocalCache cache;

    public LocalCacheTests() => cache = new(Options.Create(new RedisOptions { LocalCacheTtl = Ttl }), time);

    public void Dispose() => cache.Dispose();

    [Fact]
    public async Task Entry_LivesUntilTheTtl_ThenIsLoadedAgain()
    {
        var loads = 0;
        ValueTask<string> Load(CancellationToken _) => ValueTask.FromResult($"value {++loads}");

        Assert.Equal("value 1", await cache.GetOrLoadAsync("key", Load, CancellationToken.None));
        time.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.Equal("value 1", await cache.GetOrLoadAsync("key", Load, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("value 2", await cache.GetOrLoadAsync("key", Load, CancellationToken.None));
    }

    [Fact]
    public async Task AHit_WithTheLoadsArgumentsAsState_AllocatesNothing()
    {
        static ValueTask<string> Load(string argument, CancellationToken _) => ValueTask.FromResult(argument);
        const string Key = "key";
        await cache.GetOrLoadAsync(Key, "value", Load, CancellationToken.None);

        // Every send reads four entries this way: a hit must not pay for the miss's closure.
        long allocated = 0;
        for (var i = 0; i < 3; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var hit = cache.GetOrLoadAsync(Key, "other", Load, CancellationToken.None);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(hit.IsCompletedSuccessfully);
            Assert.Equal("value", await hit);
        }

        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task ConcurrentMisses_LoadOnce_AndAllGetTheValue()
    {
        var loads = 0;
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<string> Load(CancellationToken _)
        {
            Interlocked.Increment(ref loads);
            return await release.Task;
        }

        var callers = Enumerable.Range(0, 64).Select(_ => cache.GetOrLoadAsync("key", Load, CancellationToken.None).AsTask()).ToArray();
        release.SetResult("value");

        Assert.All(await Task.WhenAll(callers), value => Assert.Equal("value", value));
        Assert.Equal(1, loads);
        Assert.Equal("value", await cache.GetOrLoadAsync<string>("key", _ => throw new InvalidOperationException("cached"), CancellationToken.None));
    }

    [Fact]
    public async Task AbsentRecord_IsCachedToo()
    {
        var loads = 0;
        ValueTask<string?> Load(CancellationToken _)
        {
            loads++;
            return ValueTask.FromResult<string?>(null);
        }

        Assert.Null(await cache.GetOrLoadAsync("missing", Load, CancellationToken.None));
        Assert.Null(await cache.GetOrLoadAsync("missing", Load, CancellationToken.None));
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task FailedLoad_ReachesEveryWaiter_AndIsNotCached()
    {
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = cache.GetOrLoadAsync("key", async _ => await release.Task, CancellationToken.None).AsTask();
        var second = cache.GetOrLoadAsync("key", async _ => await release.Task, CancellationToken.None).AsTask();
        release.SetException(new TimeoutException("redis"));

        await Assert.ThrowsAsync<TimeoutException>(() => first);
        await Assert.ThrowsAsync<TimeoutException>(() => second);
        Assert.Equal(7, await cache.GetOrLoadAsync("key", _ => ValueTask.FromResult(7), CancellationToken.None));
    }

    [Fact]
    public async Task Forget_DuringLoad_DoesNotKeepTheOlderValue()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = cache.GetOrLoadAsync("key", async _ => await release.Task, CancellationToken.None).AsTask();

        cache.Forget("key");
        release.SetResult("before the change");

        Assert.Equal("before the change", await reader);
        Assert.Equal("after the change", await cache.GetOrLoadAsync("key", _ => ValueTask.FromResult("after the change"), CancellationToken.None));
    }

    [Fact]
    public async Task CancelledWaiter_StopsWaiting_WithoutFailingTheLoadForOthers()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loaderToken = new CancellationToken(true);
        var loader = cache.GetOrLoadAsync("key", async token =>
        {
            loaderToken = token;
            return await release.Task;
        }, CancellationToken.None).AsTask();

        using var giveUp = new CancellationTokenSource();
        var impatient = cache.GetOrLoadAsync<string>("key", _ => throw new InvalidOperationException("second load"), giveUp.Token).AsTask();
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);

        release.SetResult("value");
        Assert.Equal("value", await loader);
        Assert.False(loaderToken.CanBeCanceled);
    }
}
