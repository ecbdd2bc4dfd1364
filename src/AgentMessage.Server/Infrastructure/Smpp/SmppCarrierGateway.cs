using System.Collections.Concurrent;
using System.Globalization;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Telemetry;
using AgentMessage.Server.Infrastructure.Smpp.Protocol;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.Smpp;

/// <summary>
/// The carrier gateway over SMPP (<see cref="ICarrierGateway"/>): a message becomes one
/// <c>submit_sm</c> per segment, in the encoding and number of parts the API reports (GSM 03.38 as
/// unpacked septets, data_coding 0, or UCS-2, data_coding 8; concatenated parts with an 8-bit
/// reference UDH). Every accepted part's SMSC message_id is recorded in the shared
/// <see cref="ICarrierLinkStore"/> so a receipt on any bind of any instance finds the message.
/// </summary>
/// <remarks>
/// Transient refusals (throttled, queue full, system error), an unanswered request and a lost
/// connection put the message back on the schedule with a growing delay (1 s doubling to 60 s, with
/// jitter); it stays <c>sending</c>. Throttling also pauses the instance's submissions
/// (<see cref="SubmitPacer"/>). Permanent refusals fail the message with
/// <c>smpp_0x{command_status}</c>; for a multipart message the remaining parts are not submitted.
/// A multipart message's accepted parts are never submitted again, and every retry reuses its
/// concatenation reference.
/// </remarks>
public sealed partial class SmppCarrierGateway(
    SmppLink link,
    ICarrierLinkStore store,
    IOptions<SmppOptions> options,
    TimeProvider time,
    ILogger<SmppCarrierGateway> logger) : ICarrierGateway
{
    /// <summary>How long an SMSC id is remembered past the message's validity: final receipts come
    /// at the latest when the SMSC gives up, at the validity it was given.</summary>
    internal static readonly TimeSpan ReceiptGrace = TimeSpan.FromHours(24);

    /// <summary>The validity assumed for a message without one.</summary>
    private static readonly TimeSpan DefaultValidity = TimeSpan.FromHours(4);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(60);

    /// <summary>The most messages whose retries this instance counts; past it the counts start over
    /// (a retry then waits the first delay again, which is harmless).</summary>
    private const int MaxTrackedRetries = 100_000;

    private readonly ConcurrentDictionary<string, int> attempts = new(StringComparer.Ordinal);

    public async ValueTask<CarrierSubmission> SubmitAsync(Message message, CancellationToken cancellationToken)
    {
        using var activity = AgentMessageTelemetry.Source.StartActivity("SMPP submit_sm", System.Diagnostics.ActivityKind.Client);
        var submission = await SubmitPartsAsync(message, cancellationToken);
        if (activity is not null)
        {
            activity.SetTag(AgentMessageTelemetry.OutcomeTag, submission.Accepted ? "accepted" : submission.RetryAfter is null ? "rejected" : "deferred");
            if (!submission.Accepted)
            {
                activity.SetTag(AgentMessageTelemetry.ErrorCodeTag, submission.ErrorCode);
            }
        }

        return submission;
    }

    private async ValueTask<CarrierSubmission> SubmitPartsAsync(Message message, CancellationToken cancellationToken)
    {
        var reference = CarrierReference.Of(message);
        var encoded = SmppText.Encode(message.Text);
        var keep = Keep(message);
        var settings = options.Value;

        if (encoded.Parts.Count == 1)
        {
            var answer = await link.SendAsync(Submit(message, settings, encoded.DataCoding, encoded.Parts[0], esmClass: 0, ValidityPeriod(message)), cancellationToken);
            if (Refusal(message, reference, answer) is { } refused)
            {
                return refused;
            }

            await RecordAsync(answer, new CarrierPart(reference, 1, 1), keep, cancellationToken);
            return Accepted(message, reference);
        }

        var parts = encoded.Parts.Count;
        var progress = await store.BeginMultipartAsync(reference, Random.Shared.Next(256), keep, cancellationToken);
        for (var part = 1; part <= parts; part++)
        {
            if (progress.AcceptedParts.ContainsKey(part))
            {
                continue;
            }

            var shortMessage = Udh.WithConcat(encoded.Parts[part - 1], (byte)progress.ConcatReference, (byte)parts, (byte)part);
            var answer = await link.SendAsync(Submit(message, settings, encoded.DataCoding, shortMessage, esmClass: EsmClassUdhi, ValidityPeriod(message)), cancellationToken);
            if (Refusal(message, reference, answer) is { } refused)
            {
                return refused;
            }

            await RecordAsync(answer, new CarrierPart(reference, part, parts), keep, cancellationToken);
        }

        return Accepted(message, reference);
    }

    private const byte EsmClassUdhi = 0x40;

    private static SubmitSm Submit(Message message, SmppOptions settings, byte dataCoding, byte[] shortMessage, byte esmClass, string validityPeriod) => new()
    {
        ValidityPeriod = validityPeriod,
        SourceTon = settings.SourceTon,
        SourceNpi = settings.SourceNpi,
        SourceAddr = Address(message.From),
        DestTon = settings.DestTon,
        DestNpi = settings.DestNpi,
        DestAddr = Address(message.To),
        EsmClass = esmClass,
        RegisteredDelivery = 1,
        DataCoding = dataCoding,
        ShortMessage = shortMessage,
    };

    /// <summary>
    /// The message's remaining validity as an SMPP relative time (<c>YYMMDDhhmmss000R</c>, SMPP 3.4
    /// section 7.1.1), so the SMSC gives up when we would; empty (the SMSC's default) without one.
    /// </summary>
    private string ValidityPeriod(Message message)
    {
        if (message.ValidUntil is not { } validUntil)
        {
            return string.Empty;
        }

        var left = validUntil - time.GetUtcNow();
        return RelativeTime(left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left);
    }

    internal static string RelativeTime(TimeSpan span)
    {
        var days = Math.Min((int)span.TotalDays, 99);
        return string.Create(CultureInfo.InvariantCulture, $"0000{days:00}{span.Hours:00}{span.Minutes:00}{span.Seconds:00}000R");
    }

    /// <summary>E.164 without the +, as TON/NPI 1/1 expect.</summary>
    internal static string Address(string number) => number.StartsWith('+') ? number[1..] : number;

    /// <summary>The submission's answer as a refusal (for now or for good), or null when it was accepted.</summary>
    private CarrierSubmission? Refusal(Message message, string reference, SmppResponse answer)
    {
        if (answer.IsOk)
        {
            link.Pacer.Accepted();
            return null;
        }

        var definitelyNotTaken = answer.Failure == SmppFailure.NotSent || (answer.IsAnswered && CommandStatus.IsTransient(answer.Status));
        if (definitelyNotTaken && message.ValidUntil is { } validUntil && time.GetUtcNow() > validUntil)
        {
            // The SMSC never took it, and now it is too late to: the schedule's own rule.
            attempts.TryRemove(message.Id, out _);
            return CarrierSubmission.Reject(reference, DispatchErrors.ExpiredInQueue);
        }

        if (!answer.IsAnswered)
        {
            return RetryLater(message, reference, answer.Failure switch
            {
                SmppFailure.NotSent => "no bind took it",
                SmppFailure.Timeout => "no answer in time",
                _ => "connection lost",
            });
        }

        if (answer.Status == CommandStatus.Throttled)
        {
            link.Pacer.Throttled();
        }

        if (CommandStatus.IsTransient(answer.Status))
        {
            return RetryLater(message, reference, CommandStatus.Name(answer.Status));
        }

        attempts.TryRemove(message.Id, out _);
        var errorCode = ErrorCode(answer.Status);
        LogRefused(message.OrganizationId, message.Id, CommandStatus.Name(answer.Status));
        return CarrierSubmission.Reject(reference, errorCode);
    }

    /// <summary>The error code a permanently refused message keeps: <c>smpp_0x0000000b</c>.</summary>
    internal static string ErrorCode(uint status) => "smpp_0x" + status.ToString("x8", CultureInfo.InvariantCulture);

    private CarrierSubmission RetryLater(Message message, string reference, string reason)
    {
        if (attempts.Count >= MaxTrackedRetries)
        {
            attempts.Clear();
        }

        var attempt = attempts.AddOrUpdate(message.Id, 1, static (_, n) => n + 1);
        var delay = TimeSpan.FromTicks(Math.Min(FirstRetry.Ticks << Math.Min(attempt - 1, 16), LongestRetry.Ticks));
        delay = TimeSpan.FromTicks((long)(delay.Ticks * (0.75 + (Random.Shared.NextDouble() * 0.5))));
        return CarrierSubmission.Retry(reference, delay, reason);
    }

    private CarrierSubmission Accepted(Message message, string reference)
    {
        attempts.TryRemove(message.Id, out _);
        return CarrierSubmission.Accept(reference);
    }

    private async Task RecordAsync(SmppResponse answer, CarrierPart part, TimeSpan keep, CancellationToken cancellationToken)
    {
        var id = (answer.Pdu as SubmitSmResp)?.MessageId;
        if (string.IsNullOrWhiteSpace(id))
        {
            // Accepted without an id: no receipt can name it; the message stays sent.
            LogNoMessageId(part.Reference);
            return;
        }

        // A store that is down throws: the outcome is then unknown and the message is submitted again.
        await store.RecordAcceptedAsync(MessageIds.Normalize(id), part, keep, cancellationToken);
    }

    private TimeSpan Keep(Message message)
    {
        var validUntil = message.ValidUntil ?? time.GetUtcNow() + DefaultValidity;
        var left = validUntil - time.GetUtcNow();
        return (left > TimeSpan.Zero ? left : TimeSpan.Zero) + ReceiptGrace;
    }

    [LoggerMessage(LogLevel.Debug, "SMSC refused {OrganizationId}/{MessageId} for good: {Status}")]
    private partial void LogRefused(string organizationId, string messageId, string status);

    [LoggerMessage(LogLevel.Warning, "SMSC accepted {Reference} without a message_id: no receipt can name it")]
    private partial void LogNoMessageId(string reference);
}
