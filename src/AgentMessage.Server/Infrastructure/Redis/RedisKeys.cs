using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Storage;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>
/// Every key the service uses. Everything one organization touches in one operation carries the
/// hash tag <c>{o:ORG}</c>, so it lands in one Cluster slot and one script may touch it all.
/// API keys are found by their hash before the organization is known, so they have their own tag.
/// </summary>
public static class RedisKeys
{
    public static RedisKey ApiKey(string hash) => $"am:apikey:{{{hash}}}";

    public static RedisKey Organization(string org) => $"{Org(org)}:org";

    public static RedisKey ApiKeysOf(string org) => $"{Org(org)}:apikeys";

    public static RedisKey Numbers(string org) => $"{Org(org)}:numbers";

    /// <summary>Hash: owned number to its own send pace (numbers without one are absent).</summary>
    public static RedisKey NumberPaces(string org) => $"{Org(org)}:number-paces";

    /// <summary>Set of every organization's id (operator listings).</summary>
    public static RedisKey Organizations => "am:orgs";

    public static RedisKey Consents(string org) => $"{Org(org)}:consents";

    /// <summary>The numbers of <see cref="Consents"/> in a sorted set of score 0, for listing in number order.</summary>
    public static RedisKey ConsentIndex(string org) => $"{Org(org)}:consents:idx";

    /// <summary>Number to owning organization, for inbound messages (which name only the number).</summary>
    public static RedisKey NumberOwner(string number) => $"am:number:{{{number}}}";

    public static RedisKey Lookups(string org) => $"{Org(org)}:lookups";

    public static RedisKey Message(string org, string id) => $"{Org(org)}:msg:{id}";

    public static RedisKey MessageIndex(string org) => $"{Org(org)}:msgs";

    public static RedisKey TagIndex(string org, string tag) => $"{Org(org)}:tag:{tag}";

    public static RedisKey MessageSequence(string org) => $"{Org(org)}:seq";

    public static RedisKey Dispatch(string org, MessagePriority priority) => $"{Org(org)}:dispatch:{StoredNames.MessagePriority.ToStored(priority)}";

    public static RedisKey Events(string org) => $"{Org(org)}:events";

    public static RedisKey Pace(string org, string number) => $"{Org(org)}:pace:{number}";

    /// <summary>The organizations that have dispatch streams (workers read theirs).</summary>
    public static RedisKey DispatchOrganizations => "am:dispatch:orgs";

    /// <summary>Doorbells: the organization id is published when it has new work or new events.
    /// The scripts that ring them receive these names as arguments.</summary>
    public const string DispatchChannelName = "am:dispatch";

    public const string EventsChannelName = "am:events";

    public static RedisChannel DispatchChannel => RedisChannel.Literal(DispatchChannelName);

    public static RedisChannel EventsChannel => RedisChannel.Literal(EventsChannelName);

    public static RedisKey Media(string org, string mediaId) => $"{Org(org)}:media:{mediaId}";

    public static RedisKey Bucket(string org, RateLimitedOperation operation) => $"{Org(org)}:rl:{StoredNames.RateLimitedOperation.ToStored(operation)}";

    public static RedisKey Idempotency(IdempotencyScope scope) => $"{Org(scope.OrganizationId)}:idem:{StoredNames.IdempotentOperation.ToStored(scope.Operation)}:{scope.KeyDigest}";

    /// <summary>A key in the organization's slot that is never written: a script's unused KEYS entry.</summary>
    public static RedisKey Unused(string org) => $"{Org(org)}:unused";

    private static string Org(string org) => $"am:{{o:{org}}}";
}
