using AgentMessage.Server.Edge.OpenApi;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Models;
using Swashbuckle.AspNetCore.Swagger;

namespace AgentMessage.Server.Tests.Edge.OpenApi;

/// <summary>
/// The document follows the services a server maps, with nothing listed by hand: a service of the
/// contract that the real server does not map yet (WebhookService) appears, fully described, in the
/// document of a host that maps it.
/// </summary>
public sealed class OpenApiPickupTests
{
    [Fact]
    public async Task WebhookService_OnceMapped_IsDescribedWithItsStatusesScopesAndUnwrappedBodies()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAgentMessageApi().AddOpenApiDocument();
        await using var app = builder.Build();
        app.MapGrpcService<UnimplementedWebhooks>();
        await app.StartAsync(ct);

        var document = app.Services.GetRequiredService<ISwaggerProvider>().GetSwagger(OpenApiRegistration.DocumentName);

        var create = document.Paths["/v1/webhooks"].Operations[OperationType.Post];
        Assert.Equal("CreateWebhook", create.OperationId);
        Assert.Equal("webhooks:write", ((OpenApiString)create.Extensions[RestOperationFilter.RequiredScopeExtension]).Value);
        var created = create.Responses["201"];
        Assert.True(created.Headers["Location"].Required);
        Assert.Equal("Webhook", created.Content["application/json"].Schema.Properties["data"].Reference.Id);

        var get = document.Paths["/v1/webhooks/{id}"].Operations[OperationType.Get];
        Assert.Equal("webhooks:read", ((OpenApiString)get.Extensions[RestOperationFilter.RequiredScopeExtension]).Value);
        Assert.Equal("Webhook", get.Responses["200"].Content["application/json"].Schema.Properties["data"].Reference.Id);
        Assert.Contains("404", get.Responses.Keys);

        var test = document.Paths["/v1/webhooks/{id}:test"].Operations[OperationType.Post];
        Assert.Contains("202", test.Responses.Keys);
        Assert.DoesNotContain("200", test.Responses.Keys);
        Assert.False(test.RequestBody?.Required ?? false, "an action whose route names every field needs no body");

        await app.StopAsync(ct);
    }

    private sealed class UnimplementedWebhooks : WebhookService.WebhookServiceBase;
}
