using AgentMessage.Core.Compliance;
using AgentMessage.Core.Refusals;
using AgentMessage.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>agentmessage.v1.ConsentService: maps the contract onto <see cref="ConsentManager"/>.
/// Authentication, scopes and error translation happen in <see cref="ApiCallInterceptor"/>.</summary>
public sealed class ConsentGrpcService(ConsentManager consents) : ConsentService.ConsentServiceBase
{
    public override async Task<RecordConsentResponse> RecordConsent(RecordConsentRequest request, ServerCallContext context)
    {
        var record = await consents.RecordAsync(context.GetCaller(), request.Number, request.Source, OptedInAt(request), context.CancellationToken);
        return new RecordConsentResponse { Consent = ToProto(record) };
    }

    public override async Task<GetConsentResponse> GetConsent(GetConsentRequest request, ServerCallContext context) =>
        new() { Consent = ToProto(await consents.GetAsync(context.GetCaller(), request.Number, context.CancellationToken)) };

    public override async Task<ListConsentsResponse> ListConsents(ListConsentsRequest request, ServerCallContext context)
    {
        var (records, next) = await consents.ListAsync(context.GetCaller(), request.PageSize, request.PageToken, context.CancellationToken);
        var response = new ListConsentsResponse { NextPageToken = next ?? string.Empty };
        response.Consents.AddRange(records.Select(ToProto));
        return response;
    }

    public override async Task<RevokeConsentResponse> RevokeConsent(RevokeConsentRequest request, ServerCallContext context) =>
        new() { Consent = ToProto(await consents.RevokeAsync(context.GetCaller(), request.Number, context.CancellationToken)) };

    public static Consent ToProto(ConsentRecord record)
    {
        var consent = new Consent
        {
            Number = record.Number,
            Source = record.Source,
            Status = record.IsGranted ? ConsentStatus.OptedIn : ConsentStatus.OptedOut,
        };
        if (record.OptedInAt is { } optedInAt)
        {
            consent.OptedInAt = Timestamp.FromDateTimeOffset(optedInAt);
        }

        if (record.OptedOutAt is { } optedOutAt)
        {
            consent.OptedOutAt = Timestamp.FromDateTimeOffset(optedOutAt);
        }

        return consent;
    }

    private static DateTimeOffset? OptedInAt(RecordConsentRequest request)
    {
        if (request.OptedInAt is null)
        {
            return null;
        }

        try
        {
            return request.OptedInAt.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            throw RefusalException.Validation("opted_in_at", "must be a valid timestamp");
        }
    }
}
