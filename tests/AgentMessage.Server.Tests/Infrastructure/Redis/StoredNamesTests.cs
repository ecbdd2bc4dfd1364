using System.Text.Json;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Storage;
using AgentMessage.Server.Infrastructure.Redis;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>
/// The stored names are data already in Redis: these tests pin them, so a renamed C# member or an
/// edited map fails here instead of silently orphaning stored messages, events and keys.
/// </summary>
public sealed class StoredNamesTests
{
    [Fact]
    public void The_stored_names_are_the_ones_already_in_storage()
    {
        Assert.Equal(["Queued", "Sending", "Sent", "Delivered", "Undelivered", "Failed", "Scheduled", "Canceled", "Received"], Names(StoredNames.DeliveryStatus));
        Assert.Equal(["Outbound", "Inbound"], Names(StoredNames.MessageDirection));
        Assert.Equal(["Default", "High"], Names(StoredNames.MessagePriority));
        Assert.Equal(["Sms", "Mms"], Names(StoredNames.MessageChannel));
        Assert.Equal(["Gsm7", "Ucs2"], Names(StoredNames.TextEncoding));
        Assert.Equal(["Unknown", "Mobile", "Landline", "Voip", "TollFree"], Names(StoredNames.LineType));
        Assert.Equal(["Send", "MediaUpload"], Names(StoredNames.RateLimitedOperation));
        Assert.Equal(["SendMessage", "CreateMediaUpload"], Names(StoredNames.IdempotentOperation));
    }

    [Fact]
    public void Every_member_round_trips_and_an_unknown_name_is_refused()
    {
        foreach (var (status, name) in StoredNames.DeliveryStatus.All)
        {
            Assert.Equal(name, StoredNames.DeliveryStatus.ToStored(status));
            Assert.Equal(status, StoredNames.DeliveryStatus.Parse(name));
        }

        Assert.False(StoredNames.DeliveryStatus.TryParse("queued", out _));
        Assert.False(StoredNames.DeliveryStatus.TryParse(null, out _));
        Assert.Throws<FormatException>(() => StoredNames.DeliveryStatus.Parse("Lost"));
    }

    [Fact]
    public void A_map_must_name_every_member_once()
    {
        Assert.Throws<ArgumentException>(() => new StoredNameMap<MessagePriority>((MessagePriority.Default, "Default")));
        Assert.Throws<ArgumentException>(() => new StoredNameMap<MessagePriority>((MessagePriority.Default, "Same"), (MessagePriority.High, "Same")));
    }

    [Fact]
    public void A_message_stored_before_the_names_were_explicit_still_reads_and_writes_the_same()
    {
        const string stored = """{"id":"m1","organization_id":"o1","from":"+15550000001","to":"+15550000002","text":"hi","channel":"Mms","priority":"High","status":"Delivered","tag":"t","media":["https://example.com/a.png"],"encoding":"Ucs2","segments":1,"created_at":"2026-03-01T12:00:00+00:00","updated_at":"2026-03-01T12:00:05+00:00","error_code":null,"carrier_media_urls":null}""";

        var message = MessageJson.Deserialize(stored);

        Assert.Equal((MessageChannel.Mms, MessagePriority.High, DeliveryStatus.Delivered, TextEncoding.Ucs2), (message.Channel, message.Priority, message.Status, message.Encoding));
        var written = MessageJson.Serialize(message);
        Assert.Contains("\"channel\":\"Mms\",\"priority\":\"High\",\"status\":\"Delivered\"", written, StringComparison.Ordinal);
        Assert.Contains("\"encoding\":\"Ucs2\"", written, StringComparison.Ordinal);
        Assert.Throws<JsonException>(() => MessageJson.Deserialize(stored.Replace("\"Mms\"", "\"mms\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_message_stored_before_directions_existed_reads_as_outbound_and_an_inbound_one_round_trips()
    {
        const string stored = """{"id":"m1","organization_id":"o1","from":"+15550000001","to":"+15550000002","text":"hi","channel":"Sms","priority":"Default","status":"Sent","tag":null,"media":[],"encoding":"Gsm7","segments":1,"created_at":"2026-03-01T12:00:00+00:00","updated_at":"2026-03-01T12:00:05+00:00","error_code":null,"carrier_media_urls":null,"send_at":null,"valid_until":null}""";

        var old = MessageJson.Deserialize(stored);
        var inbound = MessageJson.Deserialize(MessageJson.Serialize(old with { Direction = MessageDirection.Inbound, Status = DeliveryStatus.Received }));

        Assert.Equal((MessageDirection.Outbound, null), (old.Direction, old.InReplyTo));
        Assert.DoesNotContain("direction", MessageJson.Serialize(old), StringComparison.Ordinal);
        Assert.DoesNotContain("in_reply_to", MessageJson.Serialize(old), StringComparison.Ordinal);
        Assert.Equal((MessageDirection.Inbound, DeliveryStatus.Received), (inbound.Direction, inbound.Status));
        Assert.Contains("\"direction\":\"Inbound\"", MessageJson.Serialize(inbound), StringComparison.Ordinal);
        Assert.Contains("\"status\":\"Received\"", MessageJson.Serialize(inbound), StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_keys_carry_the_stored_names()
    {
        Assert.Equal("am:{o:o1}:dispatch:ready:High", RedisKeys.DispatchReady("o1", MessagePriority.High).ToString());
        Assert.Equal("am:{o:o1}:dispatch:lane:+15550000001:Default", RedisKeys.DispatchLane("o1", "+15550000001", MessagePriority.Default).ToString());
        Assert.Equal("am:{o:o1}:rl:MediaUpload", RedisKeys.Bucket("o1", RateLimitedOperation.MediaUpload).ToString());
        Assert.StartsWith("am:{o:o1}:idem:CreateMediaUpload:", RedisKeys.Idempotency(new IdempotencyScope("o1", IdempotentOperation.CreateMediaUpload, "k")).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_field_names_are_the_ones_already_in_storage()
    {
        Assert.Equal(
            ["m", "s", "u", "e", "t"],
            [RedisFields.MessageJson, RedisFields.MessageStatus, RedisFields.MessageUpdatedAt, RedisFields.MessageErrorCode, RedisFields.MessageTag]);
        Assert.Equal(
            ["m", "s", "e", "at", "t", "d"],
            [RedisFields.EntryMessageId, RedisFields.EventStatus, RedisFields.EventErrorCode, RedisFields.EventOccurredAt, RedisFields.EventTag, RedisFields.EventDirection]);
    }

    [Fact]
    public void The_status_script_allows_exactly_the_moves_of_the_lifecycle()
    {
        var table = RedisScripts.AllowedMovesTable();

        Assert.Equal(
            "{['Scheduled'] = {['Queued'] = true, ['Sending'] = true, ['Sent'] = true, ['Delivered'] = true, ['Undelivered'] = true, ['Failed'] = true, ['Canceled'] = true}, "
            + "['Queued'] = {['Sending'] = true, ['Sent'] = true, ['Delivered'] = true, ['Undelivered'] = true, ['Failed'] = true, ['Canceled'] = true}, "
            + "['Sending'] = {['Sent'] = true, ['Delivered'] = true, ['Undelivered'] = true, ['Failed'] = true}, "
            + "['Sent'] = {['Delivered'] = true, ['Undelivered'] = true, ['Failed'] = true}, "
            + "['Delivered'] = {}, ['Undelivered'] = {}, ['Failed'] = {}, ['Canceled'] = {}, ['Received'] = {}}",
            table);
        Assert.StartsWith("local allowed = " + table, RedisScripts.TransitionStatus, StringComparison.Ordinal);
        Assert.DoesNotContain("'Queued'", RedisScripts.AdmitSends, StringComparison.Ordinal);
        Assert.DoesNotContain("am:", RedisScripts.AdmitSends + RedisScripts.TransitionStatus.Replace(table, string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.All(DeliveryLifecycle.Statuses, s => Assert.Contains($"['{StoredNames.DeliveryStatus.ToStored(s)}'] = {{", table, StringComparison.Ordinal));
    }

    private static IEnumerable<string> Names<TEnum>(StoredNameMap<TEnum> map)
        where TEnum : struct, Enum => map.All.Select(pair => pair.Value);
}
