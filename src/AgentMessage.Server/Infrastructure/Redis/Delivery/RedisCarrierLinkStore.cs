using System.Globalization;
using AgentMessage.Core.Delivery;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>
/// The carrier link's shared state in Redis: one round trip per call. A carrier id is a string key
/// holding <c>reference\npart\nparts</c> (a value that does not read that way is not found); a
/// single-part message's acceptance, the hot path, is that one SET with its expiry. A multipart
/// message's progress, its parts' receipts and an inbound assembly are hashes, each changed by one
/// script (<see cref="CarrierLinkScripts"/>). Progress and receipts live for the keep of their
/// latest write; an inbound assembly for the keep of its first part.
/// </summary>
public sealed class RedisCarrierLinkStore(RedisGate redis) : ICarrierLinkStore
{
    public async ValueTask<MultipartProgress> BeginMultipartAsync(string reference, int proposedConcatReference, TimeSpan keep, CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            CarrierLinkScripts.BeginMultipart, [RedisKeys.CarrierProgress(reference)], [proposedConcatReference, Milliseconds(keep)])))!;
        var concatReference = proposedConcatReference;
        var accepted = new Dictionary<int, string>();
        for (var i = 0; i + 1 < reply.Length; i += 2)
        {
            var field = (string?)reply[i];
            var value = (string?)reply[i + 1];
            if (field == RedisFields.CarrierConcatReference)
            {
                concatReference = Number(value) ?? proposedConcatReference;
            }
            else if (Number(field) is { } part && value is not null)
            {
                accepted[part] = value;
            }
        }

        return new MultipartProgress(concatReference, accepted);
    }

    /// <summary>A multipart message's part is two writes in one round trip (pipelined): the id's key
    /// and the message's progress are in different slots, so no one script or transaction may hold
    /// both. The id is written first: an interruption between the two leaves a part that receipts
    /// find but that a retry sends again (a duplicate part), never an accepted part whose receipts
    /// find nothing.</summary>
    public async ValueTask RecordAcceptedAsync(string carrierId, CarrierPart part, TimeSpan keep, CancellationToken cancellationToken)
    {
        CarrierLinkChecks.Part(part);
        var ms = Milliseconds(keep);
        var entry = Format(part);
        if (part.Parts == 1)
        {
            await redis.RunAsync(db => db.StringSetAsync(RedisKeys.CarrierId(carrierId), entry, TimeSpan.FromMilliseconds(ms)));
            return;
        }

        await redis.RunAsync(async db =>
        {
            var pipeline = db.CreateBatch();
            var id = pipeline.StringSetAsync(RedisKeys.CarrierId(carrierId), entry, TimeSpan.FromMilliseconds(ms));
            var progress = pipeline.ScriptEvaluateAsync(
                CarrierLinkScripts.RecordAcceptedPart, [RedisKeys.CarrierProgress(part.Reference)], [part.Part, carrierId, ms]);
            pipeline.Execute();
            await Task.WhenAll(id, progress);
        });
    }

    public async ValueTask<CarrierPart?> FindAsync(string carrierId, CancellationToken cancellationToken) =>
        Parse(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.CarrierId(carrierId))));

    public async ValueTask<string?> RecordPartStatusAsync(CarrierPart part, string status, TimeSpan keep, CancellationToken cancellationToken)
    {
        CarrierLinkChecks.Part(part);
        CarrierLinkChecks.Status(status);
        var reply = await redis.RunAsync(db => db.ScriptEvaluateAsync(
            CarrierLinkScripts.RecordPartStatus, [RedisKeys.CarrierReceipts(part.Reference)], [part.Part, status, part.Parts, Milliseconds(keep)]));
        return reply.IsNull ? null : (string?)reply;
    }

    public async ValueTask<IReadOnlyList<string>?> AddInboundPartAsync(string key, int partNumber, int parts, string text, TimeSpan keep, CancellationToken cancellationToken)
    {
        CarrierLinkChecks.Part(partNumber, parts);
        var ms = Milliseconds(keep);
        if (parts == 1)
        {
            return [text];
        }

        var reply = await redis.RunAsync(db => db.ScriptEvaluateAsync(
            CarrierLinkScripts.AddInboundPart, [RedisKeys.InboundParts(key)], [partNumber, parts, text, ms]));
        return reply.IsNull ? null : [.. ((RedisResult[])reply!).Select(t => (string)t!)];
    }

    /// <summary>The id entry's value: the reference, then the part and the number of parts.</summary>
    private static string Format(CarrierPart part) =>
        string.Create(CultureInfo.InvariantCulture, $"{part.Reference}\n{part.Part}\n{part.Parts}");

    /// <summary>An id entry's value read back, from its end (so any reference reads back whole);
    /// null for nothing, or for anything <see cref="Format"/> does not write.</summary>
    private static CarrierPart? Parse(RedisValue value)
    {
        if (value.IsNull)
        {
            return null;
        }

        var text = (string)value!;
        var last = text.LastIndexOf('\n');
        var middle = last > 0 ? text.LastIndexOf('\n', last - 1) : -1;
        if (middle <= 0
            || Number(text[(middle + 1)..last]) is not { } part
            || Number(text[(last + 1)..]) is not { } parts
            || part < 1 || part > parts)
        {
            return null;
        }

        return new CarrierPart(text[..middle], part, parts);
    }

    private static int? Number(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;

    /// <summary>Whole milliseconds, at least one (Redis refuses an expiry of 0).</summary>
    private static long Milliseconds(TimeSpan keep)
    {
        CarrierLinkChecks.Keep(keep);
        return Math.Max(1, (long)Math.Ceiling(keep.TotalMilliseconds));
    }
}
