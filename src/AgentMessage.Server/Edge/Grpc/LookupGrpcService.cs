using AgentMessage.Core.Compliance;
using AgentMessage.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using DomainLineType = AgentMessage.Core.Compliance.LineType;
using ProtoLineType = AgentMessage.V1.LineType;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>agentmessage.v1.LookupService: maps the contract onto <see cref="LineTypeLookups"/>.
/// Authentication, scopes and error translation happen in <see cref="ApiCallInterceptor"/>.</summary>
public sealed class LookupGrpcService(LineTypeLookups lookups) : LookupService.LookupServiceBase
{
    public override async Task<LookupNumberResponse> LookupNumber(LookupNumberRequest request, ServerCallContext context)
    {
        var lookup = await lookups.LookupAsync(context.GetCaller(), request.Number, context.CancellationToken);
        return new LookupNumberResponse
        {
            Number = lookup.Number,
            LineType = ToProto(lookup.LineType),
            LookedUpAt = Timestamp.FromDateTimeOffset(lookup.LookedUpAt),
            Source = lookup.Source ?? string.Empty,
        };
    }

    public static ProtoLineType ToProto(DomainLineType type) => type switch
    {
        DomainLineType.Mobile => ProtoLineType.Mobile,
        DomainLineType.Landline => ProtoLineType.Landline,
        DomainLineType.Voip => ProtoLineType.Voip,
        DomainLineType.TollFree => ProtoLineType.TollFree,
        _ => ProtoLineType.Unknown,
    };
}
