using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Storage;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>
/// Every key the service uses. Everything one organization touches in one operation carries the
/// hash tag <c>{o:ORG}</c>, so it lands in one Cluster slot and one script may touch it all.
/// API keys are found by their hash before the organization is known, so they have their own tag;
/// so do the carrier link's keys, each of which one call touches alone (a carrier id, a message's
/// carrier reference, an inbound message's key), and so does a signed carrier request's signature.
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

    public static RedisKey Message(string org, string id) => $"{Org(org)}:{MessageInfix}{id}";

    public static RedisKey MessageIndex(string org) => $"{Org(org)}:msgs";

    public static RedisKey TagIndex(string org, string tag) => $"{Org(org)}:tag:{tag}";

    /// <summary>Sorted set: the organization's inbound messages (a subset of <see cref="MessageIndex"/>,
    /// with the same scores), so a listing of inbound messages reads only them.</summary>
    public static RedisKey InboundIndex(string org) => $"{Org(org)}:msgs:in";

    /// <summary>String: the delivery an inbound delivery key (receiving number and carrier message id)
    /// was stored as, <c>message id\nkeyword applied (0/1)</c>, for the keep of a repeated delivery.</summary>
    public static RedisKey InboundDelivery(string org, string deliveryKey) => $"{Org(org)}:inbound-id:{deliveryKey}";

    /// <summary>Set of the organizations that have received an inbound message (the retention sweep
    /// looks at theirs besides the senders').</summary>
    public static RedisKey InboundOrganizations => "am:inbound:orgs";

    public static RedisKey MessageSequence(string org) => $"{Org(org)}:seq";

    /// <summary>The prefix of every key of the organization, for the keys a dispatch script derives
    /// from what it reads (a message's hash, a sender number's lane): all in the organization's slot.</summary>
    public static string OrgPrefix(string org) => $"{Org(org)}:";

    /// <summary>The stream an organization's messages of one priority were queued on before the
    /// dispatch schedule; read once at start-up to move what is left of it onto the schedule.</summary>
    public static RedisKey LegacyDispatchStream(string org, MessagePriority priority) => $"{Org(org)}:dispatch:{StoredNames.MessagePriority.ToStored(priority)}";

    /// <summary>Sorted set: the messages with a future send_at, scored by it (unix ms).</summary>
    public static RedisKey DispatchScheduled(string org) => $"{Org(org)}:dispatch:scheduled";

    /// <summary>Sorted set: the sender numbers with messages of the priority waiting in their lane,
    /// scored by when the number may send next (unix ms).</summary>
    public static RedisKey DispatchReady(string org, MessagePriority priority) => $"{Org(org)}:dispatch:ready:{StoredNames.MessagePriority.ToStored(priority)}";

    /// <summary>List: a sender number's due messages of one priority, oldest first. Scripts derive it
    /// as <see cref="OrgPrefix"/> + <see cref="DispatchLaneInfix"/> + number + ':' + priority.</summary>
    public static RedisKey DispatchLane(string org, string number, MessagePriority priority) =>
        $"{Org(org)}:{DispatchLaneInfix}{number}:{StoredNames.MessagePriority.ToStored(priority)}";

    public const string DispatchLaneInfix = "dispatch:lane:";

    /// <summary>Hash: sender number to its next pace slot (unix ms).</summary>
    public static RedisKey DispatchSlots(string org) => $"{Org(org)}:dispatch:slots";

    /// <summary>Sorted set: taken messages, scored by when their lease runs out (unix ms).</summary>
    public static RedisKey DispatchLeases(string org) => $"{Org(org)}:dispatch:leases";

    /// <summary>Scripts derive a message's hash as <see cref="OrgPrefix"/> + this + id.</summary>
    public const string MessageInfix = "msg:";

    public static RedisKey Events(string org) => $"{Org(org)}:events";

    /// <summary>String set for a moment when a send rings the events doorbell: sends inside that
    /// moment do not ring it again (Delivery.RingEcho says why no event is missed).</summary>
    public static RedisKey EventsRung(string org) => $"{Org(org)}:events:rung";

    /// <summary>The same for the dispatch doorbell.</summary>
    public static RedisKey DispatchRung(string org) => $"{Org(org)}:dispatch:rung";

    /// <summary>The organizations that have ever queued a message (dispatchers look at theirs).</summary>
    public static RedisKey DispatchOrganizations => "am:dispatch:orgs";

    /// <summary>Doorbells: the organization id is published when it has new work or new events.
    /// The scripts that ring them receive these names as arguments.</summary>
    public const string DispatchChannelName = "am:dispatch";

    public const string EventsChannelName = "am:events";

    public static RedisChannel DispatchChannel => RedisChannel.Literal(DispatchChannelName);

    public static RedisChannel EventsChannel => RedisChannel.Literal(EventsChannelName);

    /// <summary>Set of the organizations that have had a webhook endpoint (the deliverers look at theirs).</summary>
    public static RedisKey WebhookOrganizations => "am:webhooks:orgs";

    /// <summary>Hash: endpoint id to its JSON (the disabled reason lives in <see cref="WebhookDisabled"/>).</summary>
    public static RedisKey WebhookEndpoints(string org) => $"{Org(org)}:wh:eps";

    /// <summary>Sorted set: endpoint ids by creation time (unix ms).</summary>
    public static RedisKey WebhookOrder(string org) => $"{Org(org)}:wh:order";

    /// <summary>Hash: endpoint id to its subscribed types, " type type ".</summary>
    public static RedisKey WebhookSubscriptions(string org) => $"{Org(org)}:wh:subs";

    /// <summary>Hash: disabled endpoint id to why.</summary>
    public static RedisKey WebhookDisabled(string org) => $"{Org(org)}:wh:off";

    /// <summary>Hash: endpoint id to when its current run of failures began (unix ms).</summary>
    public static RedisKey WebhookFailing(string org) => $"{Org(org)}:wh:failing";

    /// <summary>Hash: pending job (endpoint|event id) to "attempt\ntype\nevent id\nbody".</summary>
    public static RedisKey WebhookJobs(string org) => $"{Org(org)}:wh:jobs";

    /// <summary>Hash: endpoint id to the position of its newest logged attempt.</summary>
    public static RedisKey WebhookLogPositions(string org) => $"{Org(org)}:wh:logpos";

    /// <summary>Sorted set: an endpoint's attempts by position, "position\nJSON". Scripts derive it.</summary>
    public static RedisKey WebhookLog(string org, string endpointId) => $"{Org(org)}:wh:log:{endpointId}";

    public static RedisKey Media(string org, string mediaId) => $"{Org(org)}:media:{mediaId}";

    public static RedisKey Bucket(string org, RateLimitedOperation operation) => $"{Org(org)}:rl:{StoredNames.RateLimitedOperation.ToStored(operation)}";

    public static RedisKey Idempotency(IdempotencyScope scope) => $"{Org(scope.OrganizationId)}:idem:{StoredNames.IdempotentOperation.ToStored(scope.Operation)}:{scope.KeyDigest}";

    /// <summary>String: a carrier's message id to the message part it names (<c>reference\npart\nparts</c>).
    /// Looked up by the carrier id alone, so it carries that id as its own tag.</summary>
    public static RedisKey CarrierId(string carrierId) => $"am:carrier-id:{{{carrierId}}}";

    /// <summary>Hash: a multipart message's progress on the carrier link: its concatenation reference
    /// (<see cref="RedisFields.CarrierConcatReference"/>) and part number to the carrier's id of each
    /// accepted part. Tagged with the message's carrier reference.</summary>
    public static RedisKey CarrierProgress(string reference) => $"am:carrier:{{{reference}}}:progress";

    /// <summary>Hash: part number to the final receipt status of each part of a multipart message, and
    /// the message's status once decided (<see cref="RedisFields.CarrierDecidedStatus"/>).</summary>
    public static RedisKey CarrierReceipts(string reference) => $"am:carrier:{{{reference}}}:receipts";

    /// <summary>Hash: part number to text of a concatenated inbound message being put back together.</summary>
    public static RedisKey InboundParts(string key) => $"am:inbound:{{{key}}}";

    /// <summary>String: a signed carrier request already applied, kept while its timestamp is inside
    /// the replay window. Found by the signature alone, so it carries that as its own tag.</summary>
    public static RedisKey SignedRequest(string signature) => $"am:signed:{{{signature}}}";

    /// <summary>String: a keyword reply sent to a person for one keyword action, kept for the reply
    /// window (<see cref="Core.Compliance.IKeywordReplyLimiter"/>).</summary>
    public static RedisKey KeywordReply(string org, string person, Core.Compliance.KeywordAction action) => action switch
    {
        Core.Compliance.KeywordAction.OptOut => $"{Org(org)}:kwreply:stop:{person}",
        Core.Compliance.KeywordAction.OptIn => $"{Org(org)}:kwreply:start:{person}",
        Core.Compliance.KeywordAction.Help => $"{Org(org)}:kwreply:help:{person}",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    /// <summary>Sorted set: the organization's open status streams on every instance, lease id scored
    /// by when the lease runs out (unix ms).</summary>
    public static RedisKey StreamLeases(string org) => $"{Org(org)}:streams";

    /// <summary>Sorted set: the open status streams of one API key, like <see cref="StreamLeases"/>.</summary>
    public static RedisKey StreamLeasesOfKey(string org, string keyId) => $"{Org(org)}:streams:key:{keyId}";

    /// <summary>A key in the organization's slot that is never written: a script's unused KEYS entry.</summary>
    public static RedisKey Unused(string org) => $"{Org(org)}:unused";

    private static string Org(string org) => $"am:{{o:{org}}}";
}
