using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>
/// This instance's short-lived copies of what every send reads (key, organization, number, consent,
/// lookup), so that an accepted send reads nothing from Redis. An entry lives at most
/// <see cref="RedisOptions.LocalCacheTtl"/>, which bounds how stale any instance can be; absent
/// records are remembered too, so a flood of unknown keys does not become a flood of Redis reads.
/// A missing entry is loaded once per instance however many calls want it at that moment: the
/// others wait for that one read, so an expiry under load costs one round trip, not one per call
/// in flight. Entries age on the host's <see cref="TimeProvider"/>, so a test can move past the TTL.
/// </summary>
public sealed class LocalCache(IOptions<RedisOptions> options, TimeProvider time) : IDisposable
{
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = 200_000, Clock = new TimeProviderClock(time) });
    private readonly ConcurrentDictionary<object, Task<object?>> loads = new();

    /// <summary>The cached value of <paramref name="key"/>, or the one running load's result. The load
    /// runs without the caller's token, since other callers may be waiting for it; the caller's token
    /// only stops its own wait.</summary>
    public ValueTask<T> GetOrLoadAsync<T>(object key, Func<CancellationToken, ValueTask<T>> load, CancellationToken cancellationToken) =>
        GetOrLoadAsync(key, load, static (load, token) => load(token), cancellationToken);

    /// <summary>The same, with the load's arguments passed as <paramref name="state"/>, so that a
    /// hit (every send's case) allocates no closure: give it a static lambda.</summary>
    public ValueTask<T> GetOrLoadAsync<TState, T>(object key, TState state, Func<TState, CancellationToken, ValueTask<T>> load, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(key, out var cached))
        {
            return ValueTask.FromResult((T)cached!);
        }

        return Miss(key, state, load, cancellationToken);
    }

    /// <summary>A method of its own: the compiler creates a lambda's closure where the method that
    /// holds the lambda starts, so in <see cref="GetOrLoadAsync{TState, T}"/> every hit paid for it.</summary>
    private ValueTask<T> Miss<TState, T>(object key, TState state, Func<TState, CancellationToken, ValueTask<T>> load, CancellationToken cancellationToken) =>
        WaitForLoadAsync(key, token => load(state, token), cancellationToken);

    private async ValueTask<T> WaitForLoadAsync<T>(object key, Func<CancellationToken, ValueTask<T>> load, CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = loads.GetOrAdd(key, started.Task);
        if (running == started.Task)
        {
            _ = LoadAsync(key, load, started);
        }

        return (T)(await running.WaitAsync(cancellationToken))!;
    }

    /// <summary>Never throws: the outcome, value or failure, goes to everyone waiting on <paramref name="completion"/>.</summary>
    private async Task LoadAsync<T>(object key, Func<CancellationToken, ValueTask<T>> load, TaskCompletionSource<object?> completion)
    {
        try
        {
            // A load that finished between this caller's miss and its registration has filled the cache.
            if (!cache.TryGetValue(key, out var value))
            {
                value = await load(CancellationToken.None);

                // Forget() during the load drops the registration: the value read may predate the
                // change, so it is handed to the callers already waiting but not kept.
                if (loads.TryGetValue(key, out var current) && current == completion.Task)
                {
                    cache.Set(key, value, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = options.Value.LocalCacheTtl });
                }
            }

            completion.SetResult(value);
        }
        catch (Exception failure)
        {
            // Failures are not cached: the next call tries again.
            completion.SetException(failure);
        }
        finally
        {
            loads.TryRemove(new KeyValuePair<object, Task<object?>>(key, completion.Task));
        }
    }

    /// <summary>Drops this instance's copy after it changed the record itself.</summary>
    public void Forget(object key)
    {
        loads.TryRemove(key, out _);
        cache.Remove(key);
    }

    public void Dispose() => cache.Dispose();

    /// <summary>The clock <see cref="MemoryCache"/> expires entries by, read from <see cref="TimeProvider"/>.</summary>
    private sealed class TimeProviderClock(TimeProvider time) : ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
