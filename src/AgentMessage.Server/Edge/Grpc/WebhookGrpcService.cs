using AgentMessage.Core.Webhooks;
using AgentMessage.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>agentmessage.v1.WebhookService: maps the contract onto <see cref="WebhookManager"/>.
/// Authentication, scopes and error translation happen in <see cref="ApiCallInterceptor"/>.</summary>
public sealed class WebhookGrpcService(WebhookManager webhooks, TimeProvider time) : WebhookService.WebhookServiceBase
{
    public override async Task<CreateWebhookResponse> CreateWebhook(CreateWebhookRequest request, ServerCallContext context)
    {
        var endpoint = await webhooks.CreateAsync(context.GetCaller(), request.Url, request.Events, request.Description, context.CancellationToken);
        return new CreateWebhookResponse { Webhook = ToProto(endpoint, withSecret: true) };
    }

    public override async Task<GetWebhookResponse> GetWebhook(GetWebhookRequest request, ServerCallContext context) =>
        new() { Webhook = ToProto(await webhooks.GetAsync(context.GetCaller(), request.Id, context.CancellationToken), withSecret: false) };

    public override async Task<ListWebhooksResponse> ListWebhooks(ListWebhooksRequest request, ServerCallContext context)
    {
        var (endpoints, next) = await webhooks.ListAsync(context.GetCaller(), request.PageSize, request.PageToken, context.CancellationToken);
        var response = new ListWebhooksResponse { NextPageToken = next ?? string.Empty };
        response.Webhooks.AddRange(endpoints.Select(e => ToProto(e, withSecret: false)));
        return response;
    }

    public override async Task<UpdateWebhookResponse> UpdateWebhook(UpdateWebhookRequest request, ServerCallContext context)
    {
        var endpoint = await webhooks.UpdateAsync(
            context.GetCaller(), request.Id, request.Url, request.Events,
            request.HasDescription ? request.Description : null,
            request.HasEnabled ? request.Enabled : null,
            context.CancellationToken);
        return new UpdateWebhookResponse { Webhook = ToProto(endpoint, withSecret: false) };
    }

    public override async Task<DeleteWebhookResponse> DeleteWebhook(DeleteWebhookRequest request, ServerCallContext context)
    {
        await webhooks.DeleteAsync(context.GetCaller(), request.Id, context.CancellationToken);
        return new DeleteWebhookResponse();
    }

    public override async Task<RotateWebhookSecretResponse> RotateWebhookSecret(RotateWebhookSecretRequest request, ServerCallContext context) =>
        new() { Webhook = ToProto(await webhooks.RotateSecretAsync(context.GetCaller(), request.Id, context.CancellationToken), withSecret: true) };

    public override async Task<TestWebhookResponse> TestWebhook(TestWebhookRequest request, ServerCallContext context) =>
        new() { EventId = await webhooks.TestAsync(context.GetCaller(), request.Id, context.CancellationToken) };

    public override async Task<ListWebhookDeliveriesResponse> ListWebhookDeliveries(ListWebhookDeliveriesRequest request, ServerCallContext context)
    {
        var (attempts, next) = await webhooks.AttemptsAsync(context.GetCaller(), request.Id, request.PageSize, request.PageToken, context.CancellationToken);
        var response = new ListWebhookDeliveriesResponse { NextPageToken = next ?? string.Empty };
        response.Deliveries.AddRange(attempts.Select(ToProto));
        return response;
    }

    private Webhook ToProto(WebhookEndpoint endpoint, bool withSecret)
    {
        var webhook = new Webhook
        {
            Id = endpoint.Id,
            Url = endpoint.Url,
            Description = endpoint.Description,
            Enabled = endpoint.Enabled,
            CreatedAt = Timestamp.FromDateTimeOffset(endpoint.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(endpoint.UpdatedAt),
            DisabledReason = endpoint.DisabledReason is WebhookDisabledReasons.Gone or WebhookDisabledReasons.Failing ? endpoint.DisabledReason : string.Empty,
        };
        webhook.Events.AddRange(endpoint.Events);
        if (withSecret)
        {
            webhook.Secret = endpoint.Secret;
        }

        if (endpoint.PreviousSecret is not null && endpoint.PreviousSecretExpiresAt is { } expires && expires > time.GetUtcNow())
        {
            webhook.PreviousSecretExpiresAt = Timestamp.FromDateTimeOffset(expires);
        }

        return webhook;
    }

    private static V1.WebhookDelivery ToProto(WebhookAttempt attempt)
    {
        var delivery = new V1.WebhookDelivery
        {
            EventId = attempt.EventId,
            Type = attempt.Type,
            Attempt = attempt.Attempt,
            AttemptedAt = Timestamp.FromDateTimeOffset(attempt.AttemptedAt),
            ResponseStatus = attempt.ResponseStatus,
            Error = attempt.Error ?? string.Empty,
            DurationMs = attempt.DurationMs,
            Outcome = attempt.Outcome switch
            {
                WebhookOutcome.Succeeded => WebhookDeliveryOutcome.Succeeded,
                WebhookOutcome.Retrying => WebhookDeliveryOutcome.Retrying,
                _ => WebhookDeliveryOutcome.Failed,
            },
        };
        if (attempt.NextRetryAt is { } next)
        {
            delivery.NextRetryAt = Timestamp.FromDateTimeOffset(next);
        }

        return delivery;
    }
}
