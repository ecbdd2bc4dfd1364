using System.Text;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Infrastructure.Smpp.Protocol;

namespace AgentMessage.Server.Infrastructure.Smpp;

/// <summary>
/// What the SMSC sends us (<c>deliver_sm</c>, <c>data_sm</c>): delivery receipts, matched to the
/// message part by the SMSC's id and reported through <see cref="ICarrierReceiptSink"/>, and
/// mobile-originated messages, reassembled when concatenated and handed to the inbound pipeline
/// (<see cref="InboundService"/>: stored for the organization owning the number, keywords applied). The answer is 0 once what arrived is durably recorded (or
/// there was nothing to record); a store that is down throws, and the session answers with a
/// transient error so the SMSC delivers it again.
/// </summary>
public sealed partial class SmppInbound(
    ICarrierLinkStore store,
    ICarrierReceiptSink receipts,
    InboundService inbound,
    TimeProvider time,
    ILogger<SmppInbound> logger) : ISmppInboundHandler
{
    /// <summary>How long the parts of a concatenated inbound message wait for the rest.</summary>
    internal static readonly TimeSpan InboundPartsKept = TimeSpan.FromHours(24);

    /// <summary>How long a multipart message's part statuses wait for the other parts' receipts.</summary>
    internal static readonly TimeSpan PartStatusesKept = TimeSpan.FromHours(24);

    private const byte MessageTypeMask = 0x3C;
    private const byte DeliveryReceipt = 0x04;
    private const byte IntermediateNotification = 0x20;
    private const byte Udhi = 0x40;

    private long unknownReceipts;
    private long exactMatches;
    private long decimalMatches;

    /// <summary>Receipts acknowledged that named no message we know (counted, not an error).</summary>
    public long UnknownReceipts => Interlocked.Read(ref unknownReceipts);

    public async ValueTask<uint> HandleAsync(Pdu pdu, int bind, CancellationToken cancellationToken)
    {
        var (esmClass, dataCoding, source, destination, shortMessage, tlvs) = pdu switch
        {
            DeliverSm d => (d.EsmClass, d.DataCoding, d.SourceAddr, d.DestAddr, d.ShortMessage, d.Tlvs),
            DataSm d => (d.EsmClass, d.DataCoding, d.SourceAddr, d.DestAddr, ReadOnlyMemory<byte>.Empty, d.Tlvs),
            _ => throw new ArgumentException("not a deliver_sm or data_sm", nameof(pdu)),
        };

        if (shortMessage.IsEmpty && Find(tlvs, TlvTag.MessagePayload) is { } payload)
        {
            shortMessage = payload;
        }

        var type = esmClass & MessageTypeMask;
        if (type is DeliveryReceipt or IntermediateNotification)
        {
            await ReceiptAsync(dataCoding, shortMessage, tlvs, cancellationToken);
            return CommandStatus.Ok;
        }

        if (type != 0)
        {
            // SME acknowledgements and the like: nothing of ours to record.
            LogIgnoredType(bind, esmClass);
            return CommandStatus.Ok;
        }

        await MobileOriginatedAsync(esmClass, dataCoding, source, destination, shortMessage, tlvs, cancellationToken);
        return CommandStatus.Ok;
    }

    private async Task ReceiptAsync(byte dataCoding, ReadOnlyMemory<byte> shortMessage, IReadOnlyList<Tlv> tlvs, CancellationToken cancellationToken)
    {
        var text = SmppText.Decode(dataCoding, shortMessage.Span) ?? Encoding.Latin1.GetString(shortMessage.Span);
        var parsed = DeliveryReceiptText.TryParse(text, out var readable) ? readable : null;
        var id = CString(Find(tlvs, TlvTag.ReceiptedMessageId)) ?? parsed?.Id;
        var stat = (Find(tlvs, TlvTag.MessageState) is { Length: 1 } state ? MessageState.ToStat(state.Span[0]) : null) ?? parsed?.Stat;
        if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(stat))
        {
            LogUnreadableReceipt();
            return;
        }

        var part = await FindAsync(id, cancellationToken);
        if (part is null)
        {
            Interlocked.Increment(ref unknownReceipts);
            LogUnknownReceipt(stat);
            return;
        }

        if (FinalStatus(stat) is not { } status)
        {
            // ACCEPTD, ENROUTE: on its way; nothing changes.
            return;
        }

        if (part.Parts > 1)
        {
            if (await store.RecordPartStatusAsync(part, status, PartStatusesKept, cancellationToken) is not { } decided)
            {
                return;
            }

            status = decided;
        }

        var err = parsed?.Err;
        var errorCode = status != CarrierReceiptStatus.Delivered && !string.IsNullOrWhiteSpace(err) ? "dlr_" + err.Trim() : null;
        await receipts.ApplyAsync(new CarrierReceipt(part.Reference, status, errorCode, null), cancellationToken);
    }

    /// <summary>
    /// The part an SMSC id names. A fast SMSC can send the receipt before the instance that submitted
    /// has recorded the id from submit_sm_resp (on this bind or another instance's), so an id not
    /// found yet is looked up again a few times over about a second and a half before it counts as
    /// unknown. An all-digit id is ambiguous: it may be the id itself or the decimal value of a
    /// hexadecimal one (as some SMSCs write receipts). Only one reading is tried while the record may
    /// still be landing, the other once the wait is over, so a receipt that beats its record never
    /// lands on another message whose id is the other reading. Which reading goes first follows what
    /// this SMSC has done so far.
    /// </summary>
    private async Task<CarrierPart?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var exact = MessageIds.Normalize(id);
        var fromDecimal = MessageIds.DecimalAsHex(id) is { } hex && MessageIds.Normalize(hex) is var normalizedHex && normalizedHex != exact ? normalizedHex : null;
        var decimalFirst = fromDecimal is not null && Interlocked.Read(ref decimalMatches) > Interlocked.Read(ref exactMatches);
        var (first, second) = decimalFirst ? (fromDecimal!, exact) : (exact, fromDecimal);
        for (var attempt = 0; ; attempt++)
        {
            if (await store.FindAsync(first, cancellationToken) is { } part)
            {
                Interlocked.Increment(ref decimalFirst ? ref decimalMatches : ref exactMatches);
                return part;
            }

            if (attempt == LookupRetries.Length)
            {
                break;
            }

            await Task.Delay(LookupRetries[attempt], time, cancellationToken);
        }

        if (second is not null && await store.FindAsync(second, cancellationToken) is { } other)
        {
            Interlocked.Increment(ref decimalFirst ? ref exactMatches : ref decimalMatches);
            return other;
        }

        return null;
    }

    /// <summary>The waits between lookups of an id not found yet.</summary>
    private static readonly TimeSpan[] LookupRetries = [TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1)];

    /// <summary>The receipt status a final SMPP state reports (docs/API.md section 9); null for
    /// states on the way (ACCEPTD, ENROUTE) and anything unrecognised.</summary>
    internal static string? FinalStatus(string stat) => stat.Trim().ToUpperInvariant() switch
    {
        "DELIVRD" or "DELIVERED" => CarrierReceiptStatus.Delivered,
        "UNDELIV" or "UNDELIVERABLE" => CarrierReceiptStatus.Undeliverable,
        "EXPIRED" => CarrierReceiptStatus.Expired,
        "UNKNOWN" => CarrierReceiptStatus.Unknown,
        "REJECTD" or "REJECTED" => CarrierReceiptStatus.Rejected,
        "DELETED" => CarrierReceiptStatus.Deleted,
        _ => null,
    };

    private async Task MobileOriginatedAsync(byte esmClass, byte dataCoding, string source, string destination, ReadOnlyMemory<byte> shortMessage, IReadOnlyList<Tlv> tlvs, CancellationToken cancellationToken)
    {
        var payload = shortMessage;
        int reference = 0, total = 1, part = 1;
        if ((esmClass & Udhi) != 0)
        {
            if (Udh.TryReadConcat(shortMessage.Span, out reference, out total, out part, out var offset) || offset > 0)
            {
                payload = shortMessage[offset..];
            }
        }
        else if (Udh.TryReadConcat(tlvs, out var sarReference, out var sarTotal, out var sarPart))
        {
            (reference, total, part) = (sarReference, sarTotal, sarPart);
        }

        if (SmppText.Decode(dataCoding, payload.Span) is not { } text)
        {
            LogUndecodable(dataCoding);
            return;
        }

        var from = E164(source);
        var to = E164(destination);
        if (total > 1)
        {
            var key = $"{from}|{to}|{reference}|{total}";
            if (await store.AddInboundPartAsync(key, part, total, text, InboundPartsKept, cancellationToken) is not { } parts)
            {
                return;
            }

            text = string.Concat(parts);
        }

        // SMPP carries no media, and no id an SMSC keeps across redeliveries of a deliver_sm.
        var outcome = await inbound.ReceiveAsync(new InboundMessage(from, to, text, []), cancellationToken);
        LogInbound(outcome.Action, outcome.Applied, outcome.MessageId is not null, total);
    }

    /// <summary>An SMPP address as E.164: digits get their +.</summary>
    internal static string E164(string address)
    {
        var trimmed = address.Trim();
        return trimmed.Length > 0 && trimmed.All(char.IsAsciiDigit) ? "+" + trimmed : trimmed;
    }

    private static ReadOnlyMemory<byte>? Find(IReadOnlyList<Tlv> tlvs, ushort tag)
    {
        foreach (var tlv in tlvs)
        {
            if (tlv.Tag == tag)
            {
                return tlv.Value;
            }
        }

        return null;
    }

    /// <summary>A C-octet string TLV's text, without its terminating NUL.</summary>
    private static string? CString(ReadOnlyMemory<byte>? value)
    {
        if (value is not { } bytes)
        {
            return null;
        }

        var span = bytes.Span;
        var end = span.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
    }

    [LoggerMessage(LogLevel.Debug, "SMPP bind {Bind}: deliver_sm with esm_class 0x{EsmClass:x2} acknowledged and ignored")]
    private partial void LogIgnoredType(int bind, byte esmClass);

    [LoggerMessage(LogLevel.Warning, "SMPP delivery receipt without an id or a state acknowledged and ignored")]
    private partial void LogUnreadableReceipt();

    [LoggerMessage(LogLevel.Debug, "SMPP delivery receipt {Stat} for an id we do not know acknowledged")]
    private partial void LogUnknownReceipt(string stat);

    [LoggerMessage(LogLevel.Warning, "SMPP inbound message in data_coding {DataCoding} cannot be read as text; acknowledged and dropped")]
    private partial void LogUndecodable(byte dataCoding);

    [LoggerMessage(LogLevel.Debug, "SMPP inbound message ({Parts} parts): keyword action {Action}, applied {Applied}, stored {Stored}")]
    private partial void LogInbound(KeywordAction action, bool applied, bool stored, int parts);
}
