using Microsoft.OpenApi.Models;
using Scalar.AspNetCore;

namespace AgentMessage.Server.Edge.OpenApi;

/// <summary>
/// The OpenAPI document of the REST face (<c>GET /openapi/v1.json</c>) and its rendered reference
/// (<c>GET /docs</c>): generated from the transcoded RPCs' <c>google.api.http</c> rules and proto
/// comments, then corrected by filters to what the REST facade really answers (docs/OPENAPI.md).
/// </summary>
public static class OpenApiRegistration
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string DocsPath = "/docs";

    public static IServiceCollection AddOpenApiDocument(this IServiceCollection services)
    {
        services.AddGrpcSwagger();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo { Title = "AgentMessage REST API", Version = DocumentName });
            var comments = Path.Combine(AppContext.BaseDirectory, "AgentMessage.Contracts.xml");
            if (File.Exists(comments))
            {
                options.IncludeXmlComments(comments);
                options.IncludeGrpcXmlComments(comments, includeControllerXmlComments: true);
            }

            options.OperationFilter<RestOperationFilter>();
            options.DocumentFilter<RestDocumentFilter>();
        });
        return services;
    }

    public static WebApplication MapOpenApiDocument(this WebApplication app)
    {
        app.MapSwagger("/openapi/{documentName}.json");
        app.MapScalarApiReference(DocsPath, options => options.WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
