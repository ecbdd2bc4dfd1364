using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Organizations;
using AgentMessage.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using OrganizationRecord = AgentMessage.Core.Organizations.Organization;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>agentmessage.v1.AdminService: maps the contract onto <see cref="OperatorService"/>.
/// The operator token is checked, and errors translated, in <see cref="ApiCallInterceptor"/>.</summary>
public sealed class AdminGrpcService(OperatorService operators) : AdminService.AdminServiceBase
{
    public override async Task<CreateOrganizationResponse> CreateOrganization(CreateOrganizationRequest request, ServerCallContext context)
    {
        var organization = await operators.CreateOrganizationAsync(
            request.Name, Change(request.SendRateLimit), Change(request.MediaUploadRateLimit), request.HasMmsEnabled ? request.MmsEnabled : null, Texts(request.KeywordReplies), context.CancellationToken);
        return new CreateOrganizationResponse { Organization = ToProto(organization) };
    }

    public override async Task<GetOrganizationResponse> GetOrganization(GetOrganizationRequest request, ServerCallContext context) =>
        new() { Organization = ToProto(await operators.GetOrganizationAsync(request.OrganizationId, context.CancellationToken)) };

    public override async Task<ListOrganizationsResponse> ListOrganizations(ListOrganizationsRequest request, ServerCallContext context)
    {
        var (page, next) = await operators.ListOrganizationsAsync(request.PageSize, request.PageToken, context.CancellationToken);
        var response = new ListOrganizationsResponse { NextPageToken = next ?? string.Empty };
        response.Organizations.AddRange(page.Select(ToProto));
        return response;
    }

    public override async Task<UpdateOrganizationResponse> UpdateOrganization(UpdateOrganizationRequest request, ServerCallContext context)
    {
        var organization = await operators.UpdateOrganizationAsync(
            request.OrganizationId,
            request.HasName ? request.Name : null,
            Change(request.SendRateLimit),
            Change(request.MediaUploadRateLimit),
            request.HasMmsEnabled ? request.MmsEnabled : null,
            Texts(request.KeywordReplies),
            context.CancellationToken);
        return new UpdateOrganizationResponse { Organization = ToProto(organization) };
    }

    public override async Task<CreateApiKeyResponse> CreateApiKey(CreateApiKeyRequest request, ServerCallContext context)
    {
        var issued = await operators.CreateApiKeyAsync(request.OrganizationId, [.. request.Scopes], context.CancellationToken);
        return new CreateApiKeyResponse { Key = issued.Plaintext, ApiKey = ToProto(issued.Record) };
    }

    public override async Task<ListApiKeysResponse> ListApiKeys(ListApiKeysRequest request, ServerCallContext context)
    {
        var response = new ListApiKeysResponse();
        response.ApiKeys.AddRange((await operators.ListApiKeysAsync(request.OrganizationId, context.CancellationToken)).Select(ToProto));
        return response;
    }

    public override async Task<RevokeApiKeyResponse> RevokeApiKey(RevokeApiKeyRequest request, ServerCallContext context) =>
        new() { ApiKey = ToProto(await operators.RevokeApiKeyAsync(request.OrganizationId, request.KeyId, context.CancellationToken)) };

    public override async Task<RotateApiKeyResponse> RotateApiKey(RotateApiKeyRequest request, ServerCallContext context)
    {
        var (issued, revoked) = await operators.RotateApiKeyAsync(request.OrganizationId, request.KeyId, context.CancellationToken);
        return new RotateApiKeyResponse { Key = issued.Plaintext, ApiKey = ToProto(issued.Record), RevokedApiKey = ToProto(revoked) };
    }

    public override async Task<AddNumberResponse> AddNumber(AddNumberRequest request, ServerCallContext context)
    {
        var number = await operators.AddNumberAsync(request.OrganizationId, request.Number, request.HasSendPacePerSecond ? request.SendPacePerSecond : null, context.CancellationToken);
        return new AddNumberResponse { Number = ToProto(number) };
    }

    public override async Task<RemoveNumberResponse> RemoveNumber(RemoveNumberRequest request, ServerCallContext context)
    {
        await operators.RemoveNumberAsync(request.OrganizationId, request.Number, context.CancellationToken);
        return new RemoveNumberResponse();
    }

    public override async Task<ListNumbersResponse> ListNumbers(ListNumbersRequest request, ServerCallContext context)
    {
        var response = new ListNumbersResponse();
        response.Numbers.AddRange((await operators.ListNumbersAsync(request.OrganizationId, context.CancellationToken)).Select(ToProto));
        return response;
    }

    private static RateLimitChange Change(RateLimit? limit) =>
        limit is null ? RateLimitChange.Absent : new RateLimitChange(true, limit.Burst, limit.PerSecond);

    private static KeywordReplyTexts? Texts(KeywordReplies? replies) => replies is null
        ? null
        : new KeywordReplyTexts(
            replies.HasStopText ? replies.StopText : null,
            replies.HasStartText ? replies.StartText : null,
            replies.HasHelpText ? replies.HelpText : null);

    private static V1.Organization ToProto(OrganizationRecord organization) => new()
    {
        Id = organization.Id,
        Name = organization.Name,
        SendRateLimit = organization.SendLimit is { } send ? new RateLimit { Burst = send.Burst, PerSecond = send.PerSecond } : null,
        MediaUploadRateLimit = organization.MediaUploadLimit is { } media ? new RateLimit { Burst = media.Burst, PerSecond = media.PerSecond } : null,
        MmsEnabled = organization.MmsEnabled,
        KeywordReplies = new KeywordReplies
        {
            StopText = KeywordReplier.TextFor(organization, KeywordAction.OptOut),
            StartText = KeywordReplier.TextFor(organization, KeywordAction.OptIn),
            HelpText = KeywordReplier.TextFor(organization, KeywordAction.Help),
        },
    };

    private static ApiKey ToProto(ApiKeyRecord key)
    {
        var proto = new ApiKey
        {
            Id = key.Id,
            OrganizationId = key.OrganizationId,
            Prefix = key.Prefix,
            CreatedAt = Timestamp.FromDateTimeOffset(key.CreatedAt),
            RevokedAt = key.RevokedAt is { } revoked ? Timestamp.FromDateTimeOffset(revoked) : null,
        };
        proto.Scopes.AddRange(key.Scopes);
        return proto;
    }

    private static OwnedNumber ToProto(OwnedNumberRecord number)
    {
        var proto = new OwnedNumber { Number = number.Number };
        if (number.PacePerSecond is { } pace)
        {
            proto.SendPacePerSecond = pace;
        }

        return proto;
    }
}
